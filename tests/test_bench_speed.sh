# LABELS: e2e
# TIMEOUT: 600
# `skytune bench speed`: FLOPs counted from the graph against hand-derived values, a tiny real
# run whose JSON is checked for structure and internal consistency (images/s = batch / median
# step, GFLOP/s = FLOPs * images/s, breakdown within the step, cached step present at "head"),
# ratios against a peer file, and bad input (unknown arch, bad level, corrupt peer file).
# No timing is asserted: speed is measured by the benchmark, not tested.
set -u
T="${SK_TEST_TMP:-/tmp}/bench_speed.$$"
rm -rf "$T"; mkdir -p "$T"; cd "$T"
pass=0; fail=0
ok() { if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $*"; fi; }
status_is() { local want=$1; shift; "$@" >/dev/null 2>&1; local got=$?; [ "$got" -eq "$want" ] || { echo "  exit $got, expected $want: $*"; return 1; }; }
PY=/usr/bin/python3

# FLOPs from the graph. ResNet-50 at 224: 3.856 G multiply-adds forward (the Keras figure) plus
# the Dense head; full fine-tuning repeats every layer's FLOPs for the weight gradient and for
# the input gradient, except the input gradient of conv1 (the image needs none):
# conv1 = 112*112*7*7*3*64 MACs.
plan=$("$SKYTUNE" bench speed --plan --arch resnet50 --sizes 224 --levels head,full 2>&1)
ok grep -q '^resnet50 *224 head *1 *6147 *7.712 *0.000 *7.712' <<<"$plan"
ok grep -q '^resnet50 *224 full *177 *23540739 *7.712 *15.188 *7.712' <<<"$plan"
ok $PY - "$plan" <<'EOF'
import sys
rows = [l.split() for l in sys.argv[1].splitlines() if l.startswith("resnet50")]
full = [r for r in rows if r[2] == "full"][0]
fwd, bwd = float(full[5]), float(full[6])
conv1 = 2 * 112 * 112 * 7 * 7 * 3 * 64 / 1e9
assert abs(bwd - (2 * fwd - conv1)) < 0.002, (fwd, bwd, conv1)
EOF
# Xception below its minimum input is raised to 71; VGG16 best level is the study's 11 layers.
ok grep -q '^xception *71 head' <<<"$("$SKYTUNE" bench speed --plan --arch xception --sizes 64 --levels head)"
ok grep -q '^vgg16 *64 best *11 *12980739' <<<"$("$SKYTUNE" bench speed --plan --arch vgg16 --sizes 64 --levels best)"

# bad input
ok status_is 2 "$SKYTUNE" bench speed --arch nosuchnet --plan
ok status_is 2 "$SKYTUNE" bench speed --arch vgg16 --levels 9999 --plan
ok status_is 2 "$SKYTUNE" bench speed --arch vgg16 --levels head,,full --plan
ok status_is 2 "$SKYTUNE" bench speed --arch vgg16 --sizes 7 --plan
ok status_is 2 "$SKYTUNE" bench speed --gemm nosuchblas --plan

# a tiny real run
"$SKYTUNE" bench speed --arch mobilenetv2 --sizes 32 --levels head,full --batch 4 --repeats 2 \
  --warmup 1 --out "$T/speed.json" --breakdown > "$T/out.txt" 2> "$T/err.txt"
ok test $? -eq 0
ok grep -q '^best GEMM rate' "$T/out.txt"
ok grep -q '^mobilenetv2 *32 head' "$T/out.txt"
ok $PY - "$T/speed.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["kind"] == "skytune-speed" and d["schema"] == 2
# the build block is run.json's (one writer, one vocabulary)
assert list(d["platform"]) == ["skytune_version", "git_revision", "compiler", "flags", "blas", "blas_config",
                               "blas_core", "openblas_coretype_env", "omp_threads", "cpu_model", "fingerprint"], d["platform"]
backends = {r["backend"] for r in d["gemm_rates"]}
assert {"openblas", "det"} <= backends, backends
best = max(r["gflops"] for r in d["gemm_rates"])
assert abs(d["best_gemm_gflops"] - best) < 1e-9
cells = {c["level"]: c for c in d["cells"]}
assert set(cells) == {"head", "full"}
for lvl, c in cells.items():
    assert c["batch"] == 4 and c["size"] == 32 and "error" not in c
    tr = c["train"]
    med = tr["step"]["median_s"]
    assert tr["step"]["min_s"] <= med <= tr["step"]["max_s"]
    assert abs(tr["images_per_s"] - 4 / med) < 1e-6 * tr["images_per_s"]
    flops = (c["fwd_gflop_per_image"] + c["bwd_gflop_per_image"]) * 4
    assert abs(tr["gflops"] - flops / med) < 1e-6 * tr["gflops"] + 1e-12
    assert abs(tr["fraction_of_best_gemm"] - tr["gflops"] / best) < 1e-9
    bd = tr["breakdown_s"]
    inside = sum(bd["forward"].values()) + sum(bd["backward"].values())
    assert inside > 0 and bd["other"] >= 0, (inside, bd["other"])
    assert abs(inside + bd["other"] - tr["step"]["median_s"]) < 0.5 * med + 1e-3  # mean vs median
    assert c["infer"]["images_per_s"] > 0
    assert c["memory"]["arena_bytes"] > 0 and c["memory"]["peak_rss_bytes"] > c["memory"]["arena_bytes"]
head, full = cells["head"], cells["full"]
assert head["trainable_layers"] == 1 and full["trainable_layers"] == full["total_layers"] == 156
assert head["bwd_gflop_per_image"] < 1e-4 < full["bwd_gflop_per_image"]
assert sum(head["train"]["breakdown_s"]["backward"].values()) < sum(full["train"]["breakdown_s"]["backward"].values())
assert "cached" in head and head["cached"]["fraction_of_uncached"] > 0 and "cached" not in full
assert full["memory"]["arena_bytes"] > head["memory"]["arena_bytes"]
EOF

# ratios against a peer file (a hand-written one: the real peer needs python3-torch)
cat > "$T/peer.json" <<'EOF'
{"peer": "pytorch", "schema": 1, "torch_version": "test", "absent": [],
 "cells": [{"arch": "mobilenetv2", "size": 32, "batch": 4, "level": "head",
            "train_images_per_s": 10.0, "infer_images_per_s": 20.0}]}
EOF
"$SKYTUNE" bench speed --arch mobilenetv2 --sizes 32 --levels head --batch 4 --repeats 1 --warmup 0 \
  --no-gemm-rates --peer-json "$T/peer.json" --out "$T/ratio.json" > "$T/ratio.txt" 2>&1
ok test $? -eq 0
ok grep -q 'versus PyTorch test' "$T/ratio.txt"
ok $PY - "$T/ratio.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))["cells"][0]
p = c["peer"]
assert abs(p["train_ratio"] - c["train"]["images_per_s"] / 10.0) < 1e-9
assert abs(p["infer_ratio"] - c["infer"]["images_per_s"] / 20.0) < 1e-9
assert p["train_target"] == 1.2  # head: issue 17 asks 1.2x in every cell (2x only at full)
EOF
# a cell the peer could not run (out of memory at 512 px, say): its reason in the table, no nan
cat > "$T/peer_err.json" <<'EOF'
{"peer": "pytorch", "schema": 1, "torch_version": "test", "absent": [],
 "cells": [{"arch": "mobilenetv2", "size": 32, "batch": 4, "level": "head",
            "error": "child killed by signal 9 (likely out of memory)"}]}
EOF
"$SKYTUNE" bench speed --arch mobilenetv2 --sizes 32 --levels head --batch 4 --repeats 1 --warmup 0 \
  --no-gemm-rates --no-infer --no-cached --peer-json "$T/peer_err.json" --out "$T/err.json" > "$T/err.txt" 2>&1
ok test $? -eq 0
ok grep -q 'head .* PyTorch: child killed by signal 9 (likely out of memory) (skytune peak RSS' "$T/err.txt"
ok sh -c "! grep -qi nan '$T/err.txt'"
ok $PY -c "import json,sys; p=json.load(open(sys.argv[1]))['cells'][0]['peer']; assert 'train_ratio' not in p and p['error'].startswith('child killed'), p" "$T/err.json"
echo '{"peer": "pytorch", "schema": 2, "cells": []}' > "$T/bad.json"
ok status_is 1 "$SKYTUNE" bench speed --arch mobilenetv2 --sizes 32 --levels head --batch 2 --repeats 1 \
  --warmup 0 --no-gemm-rates --no-infer --no-cached --peer-json "$T/bad.json" --out "$T/x.json"
head -c 40 "$T/peer.json" > "$T/trunc.json"
ok status_is 1 "$SKYTUNE" bench speed --arch mobilenetv2 --sizes 32 --levels head --batch 2 --repeats 1 \
  --warmup 0 --no-gemm-rates --no-infer --no-cached --peer-json "$T/trunc.json" --out "$T/x.json"
# a peer interpreter that does not exist: a clear error, exit 1, our own JSON still written
rm -f "$T/x.json"
"$SKYTUNE" bench speed --arch mobilenetv2 --sizes 32 --levels head --batch 2 --repeats 1 --warmup 0 \
  --no-gemm-rates --no-infer --no-cached --peer --python "$T/no-python" --out "$T/x.json" > "$T/np.txt" 2>&1
ok test $? -eq 1
ok grep -q 'not runnable\|cannot run' "$T/np.txt"
ok test -s "$T/x.json"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && rm -rf "$T"
[ "$fail" -eq 0 ]
