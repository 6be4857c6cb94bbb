# LABELS: dataset determinism
# `skytune dataset synth` and `dataset cutout` from the command line: same seed -> same bytes
# (also across thread counts), different seed -> different bytes, folder output with a manifest,
# usage errors exit 2, runtime errors exit 1 with a message, --calibrate reproduces synth_calib.h.
set -u
pass=0; fail=0
ok() { if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $*"; fi; }
status_is() { local want=$1; shift; "$@" >/dev/null 2>&1; local got=$?; [ "$got" -eq "$want" ] || { echo "  exit $got, expected $want: $*"; return 1; }; }

T="${SK_TEST_TMP:-/tmp}/synth_cli.$$"
rm -rf "$T"; mkdir -p "$T"

ok status_is 0 "$SKYTUNE" dataset synth --out "$T/a.skds" --n 40 --size 32 --seed 5 --quiet
mv "$T/a.skds" "$T/b.skds" # the same command line (it is recorded as provenance)
OMP_NUM_THREADS=1 "$SKYTUNE" dataset synth --out "$T/a.skds" --n 40 --size 32 --seed 5 --quiet
ok cmp -s "$T/a.skds" "$T/b.skds"
"$SKYTUNE" dataset synth --out "$T/c.skds" --n 40 --size 32 --seed 6 --quiet
ok test -s "$T/c.skds"
ok bash -c "! cmp -s '$T/a.skds' '$T/c.skds'"

ok status_is 0 "$SKYTUNE" dataset synth --out "$T/dir" --n 12 --size 24 --mix GALAXY=1,QSO=1,STAR=1 --seed 2 --quiet
ok test "$(ls "$T/dir/QSO" | wc -l)" -eq 4
ok test "$(wc -l < "$T/dir/manifest.tsv")" -eq 13
ok grep -q $'^1\t' "$T/dir/manifest.tsv"

ok status_is 0 "$SKYTUNE" dataset synth --out "$T/jdir" --n 3 --size 32 --format jpg --quality 80 --quiet
ok test "$(ls "$T"/jdir/*/*.jpg | wc -l)" -eq 3
ok test "$(head -c 2 "$(ls "$T"/jdir/*/*.jpg | head -1)" | od -An -tx1 | tr -d ' ')" = ffd8
ok status_is 2 "$SKYTUNE" dataset synth --out "$T/x" --format gif
ok status_is 0 "$SKYTUNE" dataset synth --help
ok status_is 2 "$SKYTUNE" dataset synth --n 10
ok status_is 2 "$SKYTUNE" dataset synth --out "$T/x.skds" --mix 1,2
ok status_is 2 "$SKYTUNE" dataset synth --out "$T/x.skds" --mix PLANET=3
ok status_is 2 "$SKYTUNE" dataset synth --out "$T/x.skds" --size 3
ok status_is 2 "$SKYTUNE" dataset synth --out "$T/x.skds" --no-such-flag
ok status_is 1 "$SKYTUNE" dataset synth --calibrate "$T/missing.csv"

CAT="$SHARED/data/sdss/catalog/sdss_dr14_kaggle_skyserver_10k.csv"
if [ -f "$CAT" ]; then
  "$SKYTUNE" dataset synth --calibrate "$CAT" > "$T/calib.h"
  ok cmp -s "$T/calib.h" "$SRC/dataset/synth_calib.h"
fi

ok status_is 0 "$SKYTUNE" dataset cutout --help
ok status_is 2 "$SKYTUNE" dataset cutout --frames "$T" --objects "$T/none.csv"
ok status_is 2 "$SKYTUNE" dataset cutout --frames "$T" --objects x --out y --from png
printf 'objid,ra,dec,class\n1,229.41,42.71,STAR\n' > "$T/obj.csv"
ok status_is 1 "$SKYTUNE" dataset cutout --frames "$T" --objects "$T/obj.csv" --out "$T/co"
err=$("$SKYTUNE" dataset cutout --frames "$T" --objects "$T/obj.csv" --out "$T/co" 2>&1)
ok grep -q "frame-r" <<<"$err"

rm -rf "$T"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
