# LABELS: e2e
# TIMEOUT: 300
# `skytune reproduce --plan` (issue 16): prints every stage of the suite and runs none of them;
# `--plan --calibrate` records one cost line per cell shape in <cache>/plan/costs.tsv and a
# second --plan uses them; the hours it prints follow from the recorded per-image costs by the
# runner's schedule (prefix once per image when cached, per epoch a step per training image and
# a forward per validation image, the final evaluation), checked here against costs the test
# writes itself; --nodes schedules the cells. No timing is asserted.
set -u
pass=0; fail=0
ok() { if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $*"; fi; }
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIPPED: /usr/bin/python3 is needed"; exit 77; }
T="${SK_TEST_TMP:-/tmp}/test_plan.$$"
rm -rf "$T"; mkdir -p "$T"

"$SKYTUNE" reproduce --suite smoke --plan --cache "$T/c" --out "$T/out" > "$T/p1" 2>&1; ok test $? -eq 0
ok grep -q "6 shapes not measured" "$T/p1"
ok grep -q "FLOP floor" "$T/p1"
for st in data weights sweep report; do ok grep -q "^  $st " "$T/p1"; done
ok test ! -e "$T/out/stages"            # nothing ran
"$SKYTUNE" reproduce --suite paper --plan --cache "$T/c" --out "$T/paper" > "$T/pp" 2>&1; ok test $? -eq 0
for st in catalog cutouts pack weights sweep report; do ok grep -q "^  $st " "$T/pp"; done
ok grep -q "89 cell shapes x 3 seeds = 267 cells" "$T/pp"

"$SKYTUNE" reproduce --suite smoke --plan --calibrate --cache "$T/c" --out "$T/out" > "$T/p2" 2>&1; ok test $? -eq 0
ok test "$(grep -vc '^#' "$T/c/plan/costs.tsv")" -eq 6
ok grep -q "Recorded costs: .*6 shapes" "$T/p2"

# Known costs: prefix 100 s, step 200 s, forward 50 s per image, for every shape.
"$PY" - "$T/c/plan/costs.tsv" <<'PYEOF'
import sys
p = sys.argv[1]
out = []
for l in open(p):
    if l.startswith('#'): out.append(l); continue
    f = l.split()
    f[6], f[7], f[8] = '100', '200', '50'
    out.append(' '.join(f) + '\n')
open(p, 'w').writelines(out)
PYEOF
"$SKYTUNE" reproduce --suite smoke --plan --nodes 2 --cache "$T/c" --out "$T/out" > "$T/p3" 2>&1; ok test $? -eq 0
"$PY" - "$T/c/plan/costs.tsv" "$T/p3" <<'PYEOF'
import sys
# smoke: 84 objects, val 0.25 -> 21 val, 63 train; 2 epochs
nt, nv, e = 63, 21, 2
want = {}
for l in open(sys.argv[1]):
    if l.startswith('#'): continue
    f = l.split(); arch, cached = f[1], int(f[4])
    pre, step, inf = float(f[6]), float(f[7]), float(f[8])
    sec = (nt + nv) * pre * cached + e * (nt * step + nv * inf) + nv * inf
    want[arch] = want.get(arch, 0) + sec
got = {}
for l in open(sys.argv[2]):
    f = l.split()
    if len(f) == 5 and f[0] in want: got[f[0]] = float(f[4])
bad = [a for a in want if abs(got.get(a, -1) - round(want[a] / 3600, 1)) > 0.051]
total = sum(want.values())
text = open(sys.argv[2]).read()
ok = not bad and ("%.1f" % (total / 3600)) in text and "On 2 Slurm nodes" in text
print("expected hours", {a: round(v / 3600, 2) for a, v in want.items()}, "found", got)
sys.exit(0 if ok else 1)
PYEOF
ok test $? -eq 0

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && rm -rf "$T"
[ "$fail" -eq 0 ]
