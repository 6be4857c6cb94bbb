#!/usr/bin/env bash
# run_predict.sh: a trained cell exported as a TF.js layers model predicts in TF.js what `skytune
# predict` predicts, within 1e-5 (issue 15, CTest label `conformance`), and the TF.js model
# imports back bit for bit. Usage: run_predict.sh ARCH (a cell trained here from scratch on
# synthetic data at 32 px, a few epochs). Needs node and the pinned @tensorflow/tfjs in
# tests/conformance/node_modules (`ci/install-deps.sh conformance`); skips with 77 otherwise.
# Env (from CTest): SKYTUNE, SK_TEST_TMP.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
arch="$1"
if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node is not installed; run ci/install-deps.sh conformance"; exit 77
fi
if [ ! -f "$here/node_modules/@tensorflow/tfjs/package.json" ]; then
  echo "SKIP: @tensorflow/tfjs is not installed in $here/node_modules; run ci/install-deps.sh conformance"; exit 77
fi
work="${SK_TEST_TMP:-/tmp}/conformance/predict_$arch"
rm -rf "$work"; mkdir -p "$work"; cd "$work"
size=32
[ "$arch" = xception ] && size=71
"$SKYTUNE" --quiet dataset synth --out data.skds --n 60 --mix 24,24,12 --seed 3 --size "$size"
"$SKYTUNE" --quiet train --arch "$arch" --trainable 4 --data data.skds --seed 2 --weights scratch --epochs 2 \
  --batch 8 --lr 1e-3 --size "$size" --out cell
"$SKYTUNE" predict --cell cell --in data.skds --out preds.csv --quiet
"$SKYTUNE" weights export --cell cell --format tfjs --out model
"$SKYTUNE" --quiet dataset export data.skds --npy npy
scaling=$(sed -n 's/^[[:space:]]*"input_scaling":[[:space:]]*"\([a-z_0-9]*\)".*/\1/p' cell/run.json)
node "$here/predict_check.js" model npy/x.npy "$scaling" preds.csv
"$SKYTUNE" weights import model/model.json --arch "$arch" --size "$size" --classes GALAXY,QSO,STAR --out back.skck >/dev/null
"$SKYTUNE" weights compare back.skck cell/ckpt/last.skck
# Passed (set -e): the cell, the exported model and the data go (the folder stays on failure).
cd / && [ -z "${SK_TEST_KEEP:-}" ] && rm -rf "$work"
exit 0
