#!/usr/bin/env bash
# Projects the wall time of the full `paper` suite on this machine from measured 512x512 cells.
#
# Measures, per architecture, the lowest, the middle and the highest level the study tested and
# full fine-tuning ("all"), one seed each: one epoch on a small synthetic 512 px data set of N
# objects (a quarter for validation), the study's input sizes and protocol except the batch size
# (--batch, default 4, to bound memory), scratch weights (speed does not depend on them). From
# each run.json: per-image cost of everything before the first epoch (data, model, weights,
# frozen-prefix cache) = (wall - epoch seconds) / N, and per-image epoch cost = epoch seconds / N.
# A cell's projected time is 1000 x the first + 60 x 1000 x the second (the study's 1000 objects,
# 60 epochs). Levels not measured take both costs interpolated linearly in trainable layers
# between the measured neighbours. The suite total multiplies by its 3 seeds. Fixed start-up
# costs are scaled with N too, so the projection errs high.
# Usage: benchmarks/project-paper.sh [SKYTUNE] [WORKDIR] [N] [BATCH]
set -euo pipefail
SK=${1:-build/cli/skytune}
W=${2:-/tmp/skytune-projection}
N=${3:-16}
B=${4:-4}
mkdir -p "$W/cells"
DATA="$W/data-$N.skds"
[ -f "$DATA" ] || "$SK" --quiet dataset synth --out "$DATA" --n "$N" --size 512 --seed 1 --val 0.25 >/dev/null
suite=$(cd "$(dirname "$0")" && pwd)/suites/paper.suite
"$SK" bench status --results "$W/none" --suite "$suite" 2>/dev/null | awk '$1=="pending"{print $2}' | grep -- '-s1$' > "$W/cells.txt" || true
# Per arch: the lowest, middle and highest numeric level, and "all".
/usr/bin/python3 - "$W/cells.txt" > "$W/measure.txt" <<'PY'
import sys, collections
by = collections.OrderedDict()
for c in open(sys.argv[1]).read().split():
    arch, rest = c.split('-t', 1)
    by.setdefault(arch, []).append(rest[:-3])
for arch, lv in by.items():
    nums = sorted(int(x) for x in lv if x != 'all')
    pick = sorted({nums[0], nums[len(nums) // 2], nums[-1]})
    for l in pick + ['all']:
        print(f"{arch} {l}")
PY
while read -r arch level; do
  c="$arch-t$level-s1"; out="$W/cells/$c"
  [ -f "$out/DONE" ] && continue
  echo "$(date +%H:%M:%S) $c" >&2
  "$SK" --quiet train --arch "$arch" --trainable "$level" --data "$DATA" --seed 1 --weights scratch \
    --epochs 1 --batch "$B" --out "$out" >"$W/$c.log" 2>&1 || echo "$c failed: $(tail -1 "$W/$c.log")" >&2
done < "$W/measure.txt"
/usr/bin/python3 - "$W" "$N" <<'PY'
import sys, json, os, collections
W, N = sys.argv[1], int(sys.argv[2])
cells = open(os.path.join(W, "cells.txt")).read().split()
meas = {}
for line in open(os.path.join(W, "measure.txt")):
    arch, level = line.split()
    p = os.path.join(W, "cells", f"{arch}-t{level}-s1", "run.json")
    if not os.path.exists(p): continue
    r = json.load(open(p))
    ep = r["seconds_per_epoch_median"]
    meas[(arch, r["trainable_layers"] if level != "all" else "all")] = ((r["wall_seconds"] - ep) / N, ep / N, r["trainable_layers"])
total = 0.0
rows = []
per_arch = collections.OrderedDict()
for c in cells:
    arch, rest = c.split('-t', 1); lv = rest[:-3]
    if lv == "all":
        m = meas.get((arch, "all"))
        if not m: continue
        first, ep = m[0], m[1]; how = "measured"; L = m[2]
    else:
        L = int(lv)
        pts = sorted((k[1], v) for k, v in meas.items() if k[0] == arch and k[1] != "all")
        if not pts: continue
        lo = max([p for p in pts if p[0] <= L], default=pts[0], key=lambda p: p[0])
        hi = min([p for p in pts if p[0] >= L], default=pts[-1], key=lambda p: p[0])
        if lo[0] == hi[0]: first, ep = lo[1][0], lo[1][1]; how = "measured" if lo[0] == L else "nearest"
        else:
            t = (L - lo[0]) / (hi[0] - lo[0])
            first = lo[1][0] + t * (hi[1][0] - lo[1][0]); ep = lo[1][1] + t * (hi[1][1] - lo[1][1]); how = "interpolated"
    h = (1000 * first + 60 * 1000 * ep) / 3600
    total += h
    per_arch[arch] = per_arch.get(arch, 0) + h
    rows.append((c, L, first, ep, h, how))
with open(os.path.join(W, "projection.tsv"), "w") as f:
    f.write("cell\ttrainable_layers\tfirst_s_per_image\tepoch_s_per_image\tprojected_h\thow\n")
    for r in rows: f.write("%s\t%d\t%.4f\t%.4f\t%.2f\t%s\n" % r)
for a, h in per_arch.items(): print(f"{a:16s} {h:8.1f} h per seed")
print(f"paper suite projection: {len(rows)} cells per seed, {total:.1f} h per seed, {3 * total:.1f} h for 3 seeds ({3 * total / 24:.1f} days)")
PY
