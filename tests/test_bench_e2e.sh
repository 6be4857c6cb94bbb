# LABELS: e2e determinism
# TIMEOUT: 900
# The benchmark runner end to end on a tiny synthetic suite: records and DONE markers, a second
# run bit-identical to the first, a cell killed mid-run (SIGKILL) and resumed ends identical to an
# uninterrupted one, frozen-prefix cache vs no cache identical, bench check against a baseline
# (pass, then a deliberate regression), a corrupted record detected, bench status, and a failed
# cell reported while the others finish.
set -u
T="${SK_TEST_TMP:-/tmp}/bench_e2e.$$"
rm -rf "$T"; mkdir -p "$T"; cd "$T"
pass=0; fail=0
ok() { if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $*"; fi; }
strip() { sed -e 's/"seconds":[^,}]*//g' "$1"; }
same_metrics() { cmp -s <(strip "$1/metrics.jsonl") <(strip "$2/metrics.jsonl") || { echo "  metrics differ: $1 $2"; diff <(strip "$1/metrics.jsonl") <(strip "$2/metrics.jsonl") | head -4; return 1; }; }
field() { sed -n "s/^[[:space:]]*\"$2\":[[:space:]]*\"\{0,1\}\([^\",]*\)\"\{0,1\},*$/\1/p" "$1/run.json" | head -1; }
export SKYTUNE_CACHE="$T/cache"

cat > tiny.suite <<'S'
[suite]
name = tiny
data = synth
synth_star = 20
synth_galaxy = 18
synth_qso = 10
synth_size = 32
synth_seed = 11
val_fraction = 0.25
input_size = 32
epochs = 3
batch = 8
lr = 1e-3
weights = scratch
seeds = 1
[arch mobilenetv2]
levels = 1, 8
S

"$SKYTUNE" --quiet bench run --suite ./tiny.suite --out r1 >run1.log 2>&1; rc=$?
ok test "$rc" -eq 0
for c in mobilenetv2-t1-s1 mobilenetv2-t8-s1; do
  d=r1/mobilenetv2/$c
  ok test -f "$d/DONE"
  ok test -f "$d/run.json"
  ok test "$(wc -l < "$d/metrics.jsonl")" -eq 3
  ok test "$(field "$d" arch)" = mobilenetv2
  ok test "$(field "$d" epochs_run)" = 3
done
# The record's counts are the graph's: the same numbers `skytune arch levels` prints at this size.
want=$("$SKYTUNE" arch levels mobilenetv2 --levels 8 --format csv --size 32 | tail -1 | cut -d, -f2-5)
got="$(field r1/mobilenetv2/mobilenetv2-t8-s1 trainable_layers),$(field r1/mobilenetv2/mobilenetv2-t8-s1 total_layers),$(field r1/mobilenetv2/mobilenetv2-t8-s1 trainable_params),$(field r1/mobilenetv2/mobilenetv2-t8-s1 total_params)"
ok test "$want" = "$got" || echo "  arch levels: $want, record: $got"

# A re-run skips every DONE cell.
"$SKYTUNE" bench run --suite ./tiny.suite --out r1 >rerun.log 2>&1
ok grep -q "0 ran, 2 already done, 0 failed" rerun.log

# Two independent runs are bit-identical (weights hash, metrics).
"$SKYTUNE" --quiet bench run --suite ./tiny.suite --out r2 >run2.log 2>&1
ok "$SKYTUNE" bench check --results r1 --against r2
ok same_metrics r1/mobilenetv2/mobilenetv2-t8-s1 r2/mobilenetv2/mobilenetv2-t8-s1
ok test -n "$(field r1/mobilenetv2/mobilenetv2-t8-s1 final_weights_sha256)"

# Cache vs no cache: identical.
"$SKYTUNE" --quiet bench run --suite ./tiny.suite --out r3 --no-cache >run3.log 2>&1
ok "$SKYTUNE" bench check --results r1 --against r3
ok grep -q '"used":[[:space:]]*true' r1/mobilenetv2/mobilenetv2-t1-s1/run.json
ok grep -q '"used":[[:space:]]*false' r3/mobilenetv2/mobilenetv2-t1-s1/run.json

# Kill a cell after its first epoch checkpoint, resume, compare with the uninterrupted run.
DATA=r1/data/tiny-synth.skds
args=(train --arch mobilenetv2 --trainable 8 --data "$DATA" --seed 1 --weights scratch --epochs 3 --batch 8 --lr 1e-3 --size 32 --quiet)
"$SKYTUNE" "${args[@]}" --out full >full.log 2>&1
"$SKYTUNE" "${args[@]}" --out killed >killed.log 2>&1 &
pid=$!
for _ in $(seq 1 600); do [ -f killed/ckpt/last.skck ] && break; sleep 0.1; done
kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
ok test -f killed/ckpt/last.skck
ok test ! -f killed/DONE
# What a writer killed mid-write leaves (its temp file beside the intact old file):
touch killed/metrics.jsonl.tmp.999999 killed/ckpt/last.skck.tmp.999999
"$SKYTUNE" "${args[@]}" --out killed >resumed.log 2>&1
ok test -f killed/DONE
# A write the kill interrupted leaves only its temp file, which the resumed run removes.
if ls killed killed/ckpt | grep -q '\.tmp\.'; then echo "FAIL: temp file left behind"; fail=$((fail+1)); else pass=$((pass+1)); fi
ok grep -q "resuming after epoch" resumed.log
ok test "$(field killed final_weights_sha256)" = "$(field full final_weights_sha256)"
ok same_metrics killed full

# Baselines: written from r1, r2 passes, a changed value fails with a readable diff.
ok "$SKYTUNE" bench check --results r1 --baseline base.json --write-baseline
ok "$SKYTUNE" bench check --results r2 --baseline base.json
sed -i 's/"total_params":[[:space:]]*\([0-9]*\)/"total_params": 1\1/' base.json
"$SKYTUNE" bench check --results r2 --baseline base.json >check.log 2>&1; rc=$?
ok test "$rc" -eq 1
ok grep -q "total_params: baseline" check.log

# A corrupted record is an error naming the file.
cp -r r2 r4
printf '{"schema": "skytune.run", "cell": ' > r4/mobilenetv2/mobilenetv2-t1-s1/run.json
"$SKYTUNE" bench check --results r4 --against r1 >corrupt.log 2>&1; rc=$?
ok test "$rc" -ne 0
ok grep -q "run.json" corrupt.log

# A failing cell (level beyond the model) is reported; the others still finish; status lists it.
sed -e 's/levels = 1, 8/levels = 1, 999/' tiny.suite > bad.suite
"$SKYTUNE" --quiet bench run --suite ./bad.suite --out r5 >bad.log 2>&1; rc=$?
ok test "$rc" -eq 1
ok test -f r5/mobilenetv2/mobilenetv2-t1-s1/DONE
ok test -f r5/mobilenetv2/mobilenetv2-t999-s1/FAILED
"$SKYTUNE" bench status --results r5 --suite ./bad.suite >status.log 2>&1; rc=$?
ok test "$rc" -eq 1
ok grep -q "failed   mobilenetv2-t999-s1" status.log
ok grep -q "done     mobilenetv2-t1-s1" status.log

# A diverging run (SGD at a learning rate of 1e8) stops with a clear error at the first NaN/Inf,
# writes no DONE, and keeps the checkpoint of the last good epoch (as many epochs as metrics).
"$SKYTUNE" train --arch mobilenetv2 --trainable all --data "$DATA" --seed 1 --weights scratch \
  --epochs 6 --batch 8 --size 32 --lr 1e8 --optimizer sgd --quiet --out diverged >nan.log 2>&1; rc=$?
ok test "$rc" -eq 1
ok grep -q "NaN or Inf\|loss nan\|loss inf\|loss -nan" nan.log
ok grep -q "the last good checkpoint (epoch" nan.log
ok test ! -f diverged/DONE
ok test ! -f diverged/run.json
good=$(sed -n 's/.*last good checkpoint (epoch \([0-9]*\)).*/\1/p' nan.log)
if [ "${good:-0}" -gt 0 ]; then
  ok test -f diverged/ckpt/last.skck
  ok test "$(wc -l < diverged/metrics.jsonl)" -eq "$good"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && rm -rf "$T"
[ "$fail" -eq 0 ]
