# LABELS: arch
# test_arch_levels.sh: `skytune arch levels` against every run of the study that logged its
# trainable parameters (shared/reference/paper/runs.csv): for each (arch, trainable_layers) the
# printed trainable_params and total_params must equal the logged ones, and total_layers - 1 the
# logged base_layers. Also: the exact CSV header, the TLR/TPR arithmetic, JSON output, and exit
# status 2 with a clear message (and nothing on stdout) for an unknown model or bad --levels.
set -u
fail=0
: "${SKYTUNE:?SKYTUNE must point to the skytune binary}"
runs="${SHARED:-}/reference/paper/runs.csv"
if [ ! -r "$runs" ]; then echo "SKIPPED: $runs not found"; exit 77; fi
tmp="${SK_TEST_TMP:-/tmp}/test_arch_levels.$$"
mkdir -p "$tmp" && trap 'rm -rf "$tmp"' EXIT

check() { # description, condition exit status
    if [ "$2" -eq 0 ]; then echo "ok   $1"; else echo "FAIL $1"; fail=$((fail + 1)); fi
}

# runs.csv columns: 1 arch, 6 trainable_layers, 7 base_layers, 8 trainable_params, 9 total_params
header='arch,trainable_layers,total_layers,trainable_params,total_params,tlr,tlr_base,tpr'
nrows=0
for arch in $(awk -F, 'NR > 1 && $8 != "" { print $1 }' "$runs" | sort -u); do
    levels=$(awk -F, -v a="$arch" 'NR > 1 && $1 == a && $8 != "" { print $6 }' "$runs" | sort -n -u | paste -sd, -)
    "$SKYTUNE" arch levels "$arch" --levels "$levels" --format csv > "$tmp/$arch.csv"
    check "$arch: exit status 0 for levels $levels" $?
    [ "$(head -1 "$tmp/$arch.csv")" = "$header" ]
    check "$arch: CSV header" $?
    # Every logged run must appear with identical counts.
    bad=$(awk -F, -v a="$arch" '
        NR == FNR { if (FNR > 1) { tp[$2] = $4; tot[$2] = $5; nl[$2] = $3 } next }
        FNR > 1 && $1 == a && $8 != "" {
            n++
            if (!($6 in tp)) { print "level " $6 " missing"; next }
            if (tp[$6] != $8 || tot[$6] != $9 || nl[$6] - 1 != $7)
                print "level " $6 ": ours " tp[$6] "/" tot[$6] " (" nl[$6] " layers), study " $8 "/" $9 " (" $7 " base layers)"
        }
        END { if (n == 0) print "no rows" }' "$tmp/$arch.csv" "$runs")
    [ -z "$bad" ]
    check "$arch: trainable/total params of every logged run ${bad:+($bad)}" $?
    nrows=$((nrows + $(awk -F, -v a="$arch" 'NR > 1 && $1 == a && $8 != ""' "$runs" | wc -l)))
done
[ "$nrows" -ge 90 ]
check "compared $nrows logged runs (expected at least 90)" $?

# Ratios: recompute tlr, tlr_base and tpr from the counts on every printed row.
"$SKYTUNE" arch levels all --levels 1,2,3 --format csv > "$tmp/all.csv"
check "levels all: exit 0" $?
[ "$(wc -l < "$tmp/all.csv")" -eq 22 ]
check "levels all: header + 7 models x 3 levels" $?
bad=$(awk -F, 'NR > 1 {
        t = sprintf("%.6f,%.6f,%.6f", $2 / $3, $2 / ($3 - 1), $4 / $5)
        if (t != $6 "," $7 "," $8) print $0 " expected " t }' "$tmp/all.csv")
[ -z "$bad" ]
check "tlr/tlr_base/tpr arithmetic ${bad:+($bad)}" $?
# VGG16 full fine-tuning: every parameter trainable (it has no BN statistics).
line=$("$SKYTUNE" arch levels vgg16 --levels 21 --format csv | tail -1)
[ "$line" = "vgg16,21,21,14716227,14716227,1.000000,1.050000,1.000000" ]
check "vgg16 level 21 = everything ($line)" $?
"$SKYTUNE" arch levels mobilenetv2 --levels 1,6 --format json > "$tmp/m.json"
grep -q '"trainable_params": 416643' "$tmp/m.json" && grep -q '^\[' "$tmp/m.json"
check "json output" $?
[ "$("$SKYTUNE" arch levels nasnetmobile --format csv | wc -l)" -eq 11 ]
check "--levels paper default: 10 NASNetMobile levels" $?

# Usage errors: exit 2, a message naming the problem, nothing on stdout.
"$SKYTUNE" arch levels resnet51 --format csv > "$tmp/out" 2> "$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q "unknown architecture 'resnet51'" "$tmp/err" && [ ! -s "$tmp/out" ]
check "unknown arch: exit 2 ($rc) and message" $?
for bad in 1,x 22 -1 "" 3,; do
    "$SKYTUNE" arch levels vgg16 --levels "$bad" --format csv > "$tmp/out" 2> "$tmp/err"
    rc=$?
    [ $rc -eq 2 ] && grep -q -- "--levels" "$tmp/err" && [ ! -s "$tmp/out" ]
    check "bad --levels '$bad': exit 2 ($rc) and message" $?
done
"$SKYTUNE" arch levels vgg16 --format xml > /dev/null 2>&1
check "bad --format: exit 2" $(( $? == 2 ? 0 : 1 ))
"$SKYTUNE" arch levels vgg16 --bogus > /dev/null 2>&1
check "unknown flag: exit 2" $(( $? == 2 ? 0 : 1 ))
"$SKYTUNE" arch levels --help > /dev/null 2>&1
check "--help: exit 0" $?
"$SKYTUNE" arch show xception --size 64 > /dev/null 2> "$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q "71" "$tmp/err"
check "show below the minimum size: exit 2 ($rc) naming the minimum" $?
"$SKYTUNE" arch show resnet50 --trainable 6 > "$tmp/show"
grep -q "^Trainable params: 1060867$" "$tmp/show" && grep -q "^Total params: 23593859$" "$tmp/show"
check "show --trainable 6 totals" $?
"$SKYTUNE" arch list > "$tmp/list" && [ "$(grep -c . "$tmp/list")" -eq 8 ]
check "list: 7 models" $?

echo "$fail failed"
[ "$fail" -eq 0 ]
