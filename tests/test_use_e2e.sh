# LABELS: e2e
# TIMEOUT: 900
# Using a trained cell, end to end on real SDSS cutouts (issue 15): cut the objects of one real
# DR17 field from its frames, keep every 8th object apart as "new" cutouts, pack the rest with a
# held-out test split, train a small cell, then: predict the folder of new cutouts (1 and 2
# threads bit-identical; the same rows from the catalog cut from the frames), evaluate the test
# split with both checkpoints (equal to what the runner recorded in run.json) and its figures,
# the validation split (equal to final_val_acc / final_val_loss), export the weights to Keras
# HDF5 and to TF.js and import both back bit for bit (TF.js's predictions within 1e-5 when node
# and @tensorflow/tfjs are installed), choose levels on test in the report, and every bad
# input of item 5 (image size, classes, empty folder, unreadable images, unfinished cell) with a
# clear error and no output file. Skips when ../shared/data is absent.
set -u
FR="$SHARED/data/sdss/frame_dr17_003918-3-0213"
[ -f "$FR/objects_dev.csv" ] || { echo "SKIP: $FR is absent"; exit 77; }
T="${SK_TEST_TMP:-/tmp}/use_e2e.$$"
rm -rf "$T"; mkdir -p "$T"; cd "$T" || exit 1
pass=0; fail=0
ok() { if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $*"; fi; }
# A JSON value by path, e.g. js cell/run.json test.last.acc
js() { /usr/bin/python3 -c "import json,sys; v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split('.'): v=v[k]
print(repr(v))" "$1" "$2"; }
same() { [ "$(js "$1" "$2")" = "$(js "$3" "$4")" ] || { echo "  $1 $2 = $(js "$1" "$2"), $3 $4 = $(js "$3" "$4")"; return 1; }; }
no_file() { [ ! -e "$1" ] || { echo "  $1 exists"; return 1; }; }
S="$SKYTUNE"

# The field's objects: every 8th is a "new" object, the rest is training data.
awk -F, 'NR == 1 || (NR - 1) % 8 != 0' "$FR/objects_dev.csv" >train.csv
awk -F, 'NR == 1 || (NR - 1) % 8 == 0' "$FR/objects_dev.csv" >new.csv
cut_args=(--frames "$FR" --size 32 --scale 0.4 --quiet)
"$S" dataset cutout --objects train.csv --out cut "${cut_args[@]}" 2>cut.log; rc=$?
ok test "$rc" -eq 0 -o "$rc" -eq 3
"$S" dataset cutout --objects new.csv --out new "${cut_args[@]}" 2>newcut.log; rc=$?
ok test "$rc" -eq 0 -o "$rc" -eq 3
nnew=$(find new -name '*.png' | wc -l)
ok test "$nnew" -ge 30

# pack --test: a stratified held-out split; --test 0 keeps Keras' split exactly.
"$S" dataset pack --in cut --out data.skds --size 32 --val 0.2 --test 0.2 --quiet
"$S" dataset pack --in cut --out keras.skds --size 32 --val 0.2 --quiet
"$S" dataset pack --in cut --out keras0.skds --size 32 --val 0.2 --test 0 --quiet
"$S" dataset export keras.skds --npy npy1 >/dev/null 2>&1
"$S" dataset export keras0.skds --npy npy0 >/dev/null 2>&1
ok cmp -s npy1/split.npy npy0/split.npy
ok cmp -s npy1/x.npy npy0/x.npy
"$S" dataset info data.skds >info.txt
ok grep -q "test fraction 0.2" info.txt
ntest=$(awk '$1 == "all" {print $4}' info.txt)
ok test "$ntest" -gt 20

# A small cell on the packed cutouts; its run.json records the test split with both weights.
"$S" --quiet train --arch vgg16 --trainable 6 --data data.skds --seed 1 --weights scratch --epochs 4 \
  --batch 16 --lr 1e-4 --size 32 --out cell >train.log 2>&1
ok test -f cell/DONE -a -f cell/ckpt/best.skck -a -f cell/ckpt/last.skck
ok test "$(js cell/run.json dataset.n_test)" = "$ntest"
ok same cell/run.json test.best.epoch cell/run.json best_epoch

# predict a folder of new cutouts: one row per image, objid/ra/dec from its manifest, the true
# labels from it; bit-identical on 1 and 2 threads.
OMP_NUM_THREADS=1 "$S" predict --cell cell --in new --out p1.csv --quiet 2>p1.log; ok test $? -eq 0
OMP_NUM_THREADS=2 "$S" predict --cell cell --in new --out p2.csv --quiet 2>p2.log; ok test $? -eq 0
ok cmp -s p1.csv p2.csv
ok test "$(head -1 p1.csv)" = "id,ra,dec,p_GALAXY,p_STAR,predicted,label"
ok test "$(($(wc -l <p1.csv) - 1))" -eq "$nnew"
ok /usr/bin/python3 - p1.csv new/manifest.tsv <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
man = {r["objid"]: r for r in csv.DictReader(open(sys.argv[2]), delimiter="\t")}
assert all(r["id"] in man and r["label"] == man[r["id"]]["class"] for r in rows), "ids and labels from the manifest"
assert all(abs(float(r["ra"]) - float(man[r["id"]]["ra"])) < 1e-9 for r in rows), "ra from the manifest"
for r in rows:
    p = [float(r["p_GALAXY"]), float(r["p_STAR"])]
    assert abs(sum(p) - 1) < 1e-5 and r["predicted"] == ("GALAXY" if p[0] >= p[1] else "STAR"), r
PY
# The same objects from the catalog, cut from the frames by predict itself: the same rows.
"$S" predict --cell cell --in new.csv --frames "$FR" --scale 0.4 --out pc.csv --quiet 2>pc.log; rc=$?
ok test "$rc" -eq 0 -o "$rc" -eq 3
ok cmp -s p1.csv pc.csv
ok test -f pc.csv.cutouts/manifest.tsv

# evaluate the test split with the last and the best checkpoint: what the runner recorded.
for w in last best; do
  "$S" evaluate --cell cell --data data.skds --split test --checkpoint $w --out ev_$w --quiet 2>ev_$w.log
  ok test $? -eq 0 -o ! -x "$(command -v gnuplot)"
  ok same ev_$w/eval.json accuracy cell/run.json test.$w.acc
  ok same ev_$w/eval.json balanced_accuracy cell/run.json test.$w.balanced_acc
  ok same ev_$w/eval.json log_loss cell/run.json test.$w.loss
  ok same ev_$w/eval.json model.epoch cell/run.json test.$w.epoch
  ok test -f ev_$w/eval.md -a -f ev_$w/preds.csv
  for f in confusion reliability roc; do
    ok test -f ev_$w/figures/$f.gp -a -f ev_$w/figures/$f.dat
    if command -v gnuplot >/dev/null; then ok test -s ev_$w/figures/$f.png -a -s ev_$w/figures/$f.svg; fi
  done
done
ok test "$(($(wc -l <ev_last/preds.csv) - 1))" -eq "$ntest"
"$S" evaluate --cell cell --data data.skds --split val --out ev_val --formats svg --quiet 2>/dev/null
ok same ev_val/eval.json accuracy cell/run.json final_val_acc
ok same ev_val/eval.json log_loss cell/run.json final_val_loss

# Keras HDF5 out and back: the same tensors, the same predictions.
"$S" weights export --cell cell --format h5 --out cell.h5 2>/dev/null; ok test $? -eq 0
"$S" weights import cell.h5 --arch vgg16 --size 32 --classes GALAXY,STAR --out back.skck >/dev/null 2>&1
ok "$S" weights compare back.skck cell/ckpt/last.skck --quiet
"$S" predict --weights back.skck --in new --out pb.csv --quiet 2>/dev/null
ok cmp -s p1.csv pb.csv
"$S" weights export --cell cell --checkpoint best --format h5 --out best.h5 2>/dev/null
"$S" weights import best.h5 --arch vgg16 --size 32 --classes 2 --out bestback.skck >/dev/null 2>&1
ok "$S" weights compare bestback.skck cell/ckpt/best.skck --quiet

# TF.js layers model out and back; in TF.js (when node and the pinned @tensorflow/tfjs are
# installed: ci/install-deps.sh conformance) the same probabilities within 1e-5 on the test split.
"$S" weights export --cell cell --format tfjs --out tfjs 2>/dev/null; ok test $? -eq 0
ok test -f tfjs/model.json
"$S" weights import tfjs --arch vgg16 --size 32 --classes GALAXY,STAR --out back_tfjs.skck >/dev/null 2>&1
ok "$S" weights compare back_tfjs.skck cell/ckpt/last.skck --quiet
CONF="$SRC/tests/conformance"
if command -v node >/dev/null && [ -f "$CONF/node_modules/@tensorflow/tfjs/package.json" ]; then
  "$S" predict --cell cell --in data.skds --split all --out all.csv --quiet 2>/dev/null
  "$S" --quiet dataset export data.skds --npy npy_all >/dev/null 2>&1
  ok node "$CONF/predict_check.js" tfjs npy_all/x.npy rescale_1_255 all.csv
else
  echo "note: node or @tensorflow/tfjs missing (ci/install-deps.sh conformance): TF.js predictions not compared"
fi

# The report: test accuracy beside validation, levels chosen on test.
mkdir -p res && cp -r cell res/
"$S" report --results res --out rep --paper off --formats svg --select test >rep.log 2>&1
ok grep -q "test_acc_best_epoch_mean" rep/tables/levels.csv
ok grep -q "chosen on the held-out test split" rep/tables/ideal.md

# Item 5: bad input gets a clear error and no output file.
"$S" dataset pack --in cut --out big.skds --size 48 --quiet
"$S" predict --cell cell --in big.skds --out bad1.csv 2>bad1.log; ok test $? -eq 1
ok grep -q "image size: the cell takes 32x32, found 48x48" bad1.log
ok no_file bad1.csv
"$S" --quiet dataset synth --out syn.skds --n 12 --size 32 >/dev/null 2>&1
"$S" evaluate --cell cell --data syn.skds --split val --out bad2 2>bad2.log; ok test $? -eq 1
ok grep -q "classes: the cell was trained on 2 classes (GALAXY, STAR), the data set has 3 (GALAXY, QSO, STAR)" bad2.log
ok no_file bad2
mkdir -p empty
"$S" predict --cell cell --in empty --out bad3.csv 2>bad3.log; ok test $? -eq 1
ok grep -q "no .jpg, .jpeg or .png images" bad3.log
ok no_file bad3.csv
cp -r new broken
first=$(find broken -name '*.png' | sort | head -1)
head -c 100 "$first" >"$first.tmp" && mv "$first.tmp" "$first"
mkfifo broken/STAR/fifo.png
"$S" predict --cell cell --in broken --out part.csv 2>part.log; ok test $? -eq 3
ok grep -q "skipped .*$(basename "$first")" part.log
ok grep -q "skipped .*fifo.png.*FIFO" part.log
ok test "$(($(wc -l <part.csv) - 1))" -eq "$((nnew - 1))"
cp -r cell unfinished && rm unfinished/DONE
"$S" predict --cell unfinished --in new --out bad4.csv 2>bad4.log; ok test $? -eq 1
ok grep -q "the cell has not finished (no DONE); its checkpoint unfinished/ckpt/last.skck holds epoch 4 of 4; pass --allow-unfinished" bad4.log
ok no_file bad4.csv
"$S" predict --cell unfinished --allow-unfinished --in new --out unf.csv 2>unf.log; ok test $? -eq 0
ok grep -q "unfinished cell: using unfinished/ckpt/last.skck, epoch 4 of 4" unf.log
ok cmp -s p1.csv unf.csv
rm unfinished/ckpt/best.skck
"$S" evaluate --cell unfinished --allow-unfinished --checkpoint best --data data.skds --out bad5 2>bad5.log; ok test $? -eq 1
ok grep -q "no best checkpoint" bad5.log
ok no_file bad5

echo "$pass passed, $fail failed"
cd / && [ "$fail" -eq 0 ] && rm -rf "$T"
[ "$fail" -eq 0 ]
