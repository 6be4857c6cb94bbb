# LABELS: e2e dataset
# TIMEOUT: 240
# Issue 18, finding 1, through the command line: every command that reads a file given a named
# pipe nobody writes to must fail at once (within 20 s; `timeout` exit 124 is a hang) with a
# message that says the path is a FIFO: .skds (info, verify, export, train), catalogs (fetch),
# objects CSV (cutout), archives (import), images and manifest.tsv in a folder (pack), synth
# calibration, Keras .h5 (weights import), suite files (bench run), baselines (bench check),
# run.json and metrics.jsonl (report), checkpoints (predict, weights export, weights compare).
set -u
pass=0; fail=0
T="${SK_TEST_TMP:-/tmp}/test_fifo_cli.$$"
rm -rf "$T"; mkdir -p "$T"
cd "$T" || exit 1

# refused LABEL CMD...: exits within 20 s, non-zero, says FIFO.
refused() {
  local label=$1; shift
  timeout 20 "$@" >out.txt 2>err.txt
  local rc=$?
  if [ "$rc" -eq 124 ]; then echo "FAIL: $label: hung (killed after 20 s): $*"; fail=$((fail+1)); return; fi
  if [ "$rc" -eq 0 ] || ! grep -q "FIFO" err.txt; then
    echo "FAIL: $label: exit $rc, stderr: $(head -c 400 err.txt)"; fail=$((fail+1)); return
  fi
  pass=$((pass+1))
}

mkfifo p.skds p.csv p.tar p.h5 p.suite p.json p.skck
refused "dataset info" "$SKYTUNE" dataset info p.skds
refused "dataset verify" "$SKYTUNE" dataset verify p.skds
refused "dataset export" "$SKYTUNE" dataset export p.skds --npy npy
refused "train --data" "$SKYTUNE" train --arch mobilenetv2 --trainable 2 --data p.skds --weights scratch --epochs 1 --size 32 --out cell
refused "dataset fetch --catalog" "$SKYTUNE" dataset fetch --catalog p.csv --out raw --base-url http://127.0.0.1:9
refused "dataset cutout --objects" "$SKYTUNE" dataset cutout --frames . --objects p.csv --out cut
refused "dataset synth --calibrate" "$SKYTUNE" dataset synth --calibrate p.csv
refused "dataset import" "$SKYTUNE" dataset import p.tar --out imp
refused "weights import" "$SKYTUNE" weights import p.h5 --arch resnet50 --out w.skck
refused "bench run --suite" "$SKYTUNE" bench run --suite ./p.suite --out res
refused "predict --weights" "$SKYTUNE" predict --weights p.skck --in p.skds --out preds.csv
refused "weights export --weights" "$SKYTUNE" weights export --weights p.skck --format h5 --out w.h5
refused "weights compare" "$SKYTUNE" weights compare p.skck p.skck

# pack: a FIFO image in a class folder; a FIFO manifest.tsv.
"$SKYTUNE" --quiet dataset synth --out syn --n 4 --size 16 >/dev/null 2>&1
rm -f syn/STAR/*.png syn/manifest.tsv
mkfifo syn/STAR/00000009.png
refused "dataset pack (image)" "$SKYTUNE" dataset pack --in syn --out p2.skds --size 8
rm syn/STAR/00000009.png
mkfifo syn/manifest.tsv
refused "dataset pack (manifest.tsv)" "$SKYTUNE" dataset pack --in syn --out p2.skds --size 8
rm syn/manifest.tsv

# Result records: a baseline, a run.json and a metrics.jsonl that are FIFOs.
FIX="$SRC/tests/data/report_fixture/results"
cp -r "$FIX" res1
refused "bench check --baseline" "$SKYTUNE" bench check --results res1 --baseline p.json
cell=$(dirname "$(find res1 -name run.json | sort | head -1)")
rm "$cell/metrics.jsonl"; mkfifo "$cell/metrics.jsonl"
refused "report (metrics.jsonl)" "$SKYTUNE" report --results res1 --out rep1 --paper off --formats svg
cp -r "$FIX" res2
cell=$(dirname "$(find res2 -name run.json | sort | head -1)")
rm "$cell/run.json"; mkfifo "$cell/run.json"
refused "report (run.json)" "$SKYTUNE" report --results res2 --out rep2 --paper off --formats svg

echo "$pass passed, $fail failed"
cd / && [ "$fail" -eq 0 ] && rm -rf "$T"
[ "$fail" -eq 0 ]
