# LABELS: e2e
# TIMEOUT: 240
# `skytune report` on the committed fixture (tests/data/report_fixture): every figure exists in
# every format and is valid (PNG signature + IHDR size as the script requested, PDF header and
# trailer, SVG parses and holds its series titles), the tables hold the fixture's numbers
# (recomputed here independently), TLR/TPR of the study's levels equal its runs.csv, titles
# cannot inject into gnuplot scripts, a missing gnuplot still writes tables and scripts (exit 1),
# and corrupted records are reported naming the file.
set -u
pass=0; fail=0
ok() { if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $*"; fi; }
status_is() { local want=$1; shift; "$@" >/dev/null 2>&1; local got=$?; [ "$got" -eq "$want" ] || { echo "  exit $got, expected $want: $*"; return 1; }; }

PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIPPED: /usr/bin/python3 is needed to validate PNG/SVG/CSV outputs"; exit 77; }
command -v gnuplot >/dev/null || { echo "SKIPPED: gnuplot (Debian gnuplot-nox) is not installed"; exit 77; }
FIX="$SRC/tests/data/report_fixture/results"
PAPER_CSV="$SRC/benchmarks/reference/paper_runs.csv"
RUNS_CSV="${SHARED:-$SRC/../shared}/reference/paper/runs.csv"
[ -f "$RUNS_CSV" ] || RUNS_CSV="$PAPER_CSV"   # same facts, project copy
T="${SK_TEST_TMP:-/tmp}/test_report.$$"
rm -rf "$T"; mkdir -p "$T"
SKYTUNE=$(cd "$(dirname "$SKYTUNE")" && pwd)/$(basename "$SKYTUNE")

# 1. The full render.
ok status_is 0 "$SKYTUNE" report --results "$FIX" --out "$T/out" --paper-csv "$PAPER_CSV" --dpi 100 --title 'Fixture report'
"$PY" - "$T/out" "$FIX" "$RUNS_CSV" <<'PYEOF'
import csv, glob, json, math, os, re, struct, sys
import xml.etree.ElementTree as ET
out, fix, runs_csv = sys.argv[1:4]
fails = 0
def check(cond, msg):
    global fails
    if not cond:
        fails += 1
        print("FAIL:", msg)

# Independent recomputation from the fixture's run.json files (cells with DONE only).
cells = []
for rj in sorted(glob.glob(os.path.join(fix, "**", "run.json"), recursive=True)):
    if os.path.exists(os.path.join(os.path.dirname(rj), "DONE")):
        cells.append(json.load(open(rj)))
check(len(cells) == 19, "fixture has 19 complete cells, found %d" % len(cells))
groups = {}
for c in cells:
    groups.setdefault((c["arch"], c["trainable_layers"]), []).append(c)
archs = sorted({a for a, _ in groups})

def mean(v): return sum(v) / len(v)
def sd(v):
    if len(v) < 2: return float("nan")
    m = mean(v); return math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1))
def close(a, b, tol=1e-9):
    if isinstance(b, float) and math.isnan(b): return a == ""
    return a != "" and abs(float(a) - b) <= tol * max(1.0, abs(b))

# The study's runs, from the shared reference (not the project's copy when available).
study = list(csv.DictReader(line for line in open(runs_csv) if not line.startswith("#")))

rows = list(csv.DictReader(open(os.path.join(out, "tables", "levels.csv"))))
check(len(rows) == len(groups), "levels.csv has one row per (arch, level): %d vs %d" % (len(rows), len(groups)))
for r in rows:
    key = (r["arch"], int(r["trainable_layers"]))
    g = groups.get(key)
    check(g is not None, "levels.csv row %s is in the fixture" % (key,))
    if not g: continue
    best = [c["best_val_acc"] for c in g]; final = [c["final_val_acc"] for c in g]
    check(int(r["n"]) == len(g), "%s n" % (key,))
    check(close(r["best_val_acc_mean"], mean(best)), "%s best mean %s vs %r" % (key, r["best_val_acc_mean"], mean(best)))
    check(close(r["best_val_acc_sd"], sd(best)), "%s best sd %s vs %r" % (key, r["best_val_acc_sd"], sd(best)))
    check(close(r["best_val_acc_min"], min(best)) and close(r["best_val_acc_max"], max(best)), "%s best min/max" % (key,))
    check(close(r["final_val_acc_mean"], mean(final)), "%s final mean" % (key,))
    check(close(r["final_val_acc_sd"], sd(final)), "%s final sd" % (key,))
    check(int(r["trainable_params"]) == g[0]["trainable_params"], "%s trainable params" % (key,))
    # TLR/TPR of the study's level, recomputed from runs.csv.
    srows = [s for s in study if s["arch"] == key[0] and int(s["trainable_layers"]) == key[1] and s["trainable_params"]]
    check(len(srows) > 0, "%s is one of the study's levels" % (key,))
    if srows:
        s = srows[0]
        tp, tot, base = int(s["trainable_params"]), int(s["total_params"]), int(s["base_layers"])
        check(close(r["tpr"], tp / tot), "%s TPR %s vs runs.csv %r" % (key, r["tpr"], tp / tot))
        check(close(r["tlr"], key[1] / (base + 1)), "%s TLR (head incl.) %s vs %r" % (key, r["tlr"], key[1] / (base + 1)))
        check(close(r["tlr_base"], key[1] / base), "%s TLR_base %s vs %r" % (key, r["tlr_base"], key[1] / base))
        check(int(r["total_params"]) == tot, "%s total params" % (key,))
        ok_runs = [float(s["best_val_acc"]) for s in srows if s["best_val_acc"] and s["input_scaling"] == g[0]["protocol"]["input_scaling"]]
        check(int(r["paper_n"]) == len(ok_runs), "%s study runs %s vs %d" % (key, r["paper_n"], len(ok_runs)))
        if ok_runs:
            check(close(r["paper_best_val_acc"], mean(ok_runs)), "%s study value" % (key,))
            check(close(r["diff_best_val_acc"], mean(best) - mean(ok_runs)), "%s difference" % (key,))
check(any(r["arch"] == "resnet50" and r["trainable_layers"] == "6" and r["paper_n"] == "2" for r in rows),
      "resnet50 at 6 layers compares with the mean of the study's two runs")

# Ideal levels: highest mean; smallest level within one standard error of it.
ideal = {r["arch"]: r for r in csv.DictReader(open(os.path.join(out, "tables", "ideal.csv")))}
check(sorted(ideal) == archs, "ideal.csv has every architecture")
for a in archs:
    lv = sorted(l for (x, l) in groups if x == a)
    means = {l: mean([c["best_val_acc"] for c in groups[(a, l)]]) for l in lv}
    bl = max(lv, key=lambda l: (means[l], -l))
    b = [c["best_val_acc"] for c in groups[(a, bl)]]
    se = sd(b) / math.sqrt(len(b)) if len(b) > 1 else 0.0
    il = min(l for l in lv if means[l] >= means[bl] - se)
    if a in ideal:
        check(int(ideal[a]["best_level"]) == bl, "%s best level %s vs %d" % (a, ideal[a]["best_level"], bl))
        check(int(ideal[a]["ideal_level"]) == il, "%s ideal level %s vs %d" % (a, ideal[a]["ideal_level"], il))
        check(close(ideal[a]["best_mean"], means[bl]), "%s best mean" % a)
summ = list(csv.DictReader(open(os.path.join(out, "tables", "summary.csv"))))
check([r["arch"] for r in summ] == archs, "summary.csv lists the architectures")
for name in ("levels", "ideal", "summary"):
    tex = open(os.path.join(out, "tables", name + ".tex")).read()
    check("\\toprule" in tex and "\\midrule" in tex and "\\bottomrule" in tex, name + ".tex uses booktabs")
    md = open(os.path.join(out, "tables", name + ".md")).read()
    check(md.count("\n|") >= 2 + len(archs), name + ".md is a Markdown table")
check("TLR\\_base" in open(os.path.join(out, "tables", "levels.tex")).read(), "LaTeX specials escaped")

# Figures: every format of every figure, valid, at the size its script asked for.
figs = ["acc_layers_" + a for a in archs] + ["acc_tlr", "acc_tpr"] + ["curves_" + a for a in archs] + \
       ["recall_best", "confusion_best", "time_epoch"]
fd = os.path.join(out, "figures")
for f in figs:
    gp = os.path.join(fd, f + ".gp")
    check(os.path.exists(gp) and os.path.exists(os.path.join(fd, f + ".dat")), f + ": .gp and .dat written")
    if not os.path.exists(gp): continue
    m = re.search(r"set terminal pngcairo size (\d+),(\d+)", open(gp).read())
    png = open(os.path.join(fd, f + ".png"), "rb").read() if os.path.exists(os.path.join(fd, f + ".png")) else b""
    check(png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR", f + ".png has a PNG signature and IHDR")
    if m and len(png) > 24:
        w, h = struct.unpack(">II", png[16:24])
        check((w, h) == (int(m.group(1)), int(m.group(2))), "%s.png is %dx%d as requested (%sx%s)" % (f, w, h, m.group(1), m.group(2)))
        check(w in (350, 700), "%s.png is 3.5 or 7 in wide at 100 dpi (%d px)" % (f, w))
    pdf = open(os.path.join(fd, f + ".pdf"), "rb").read() if os.path.exists(os.path.join(fd, f + ".pdf")) else b""
    check(pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF"), f + ".pdf starts with %PDF- and ends with %%EOF")
    try:
        root = ET.parse(os.path.join(fd, f + ".svg")).getroot()
        text = " ".join(t for t in root.itertext())
        check(root.tag.endswith("svg"), f + ".svg root is <svg>")
    except Exception as e:
        check(False, f + ".svg parses: %s" % e); text = ""
    titles = {"acc_tlr": archs, "acc_tpr": archs, "time_epoch": archs,
              "recall_best": ["%s (N=" % a for a in archs]}.get(f, [])
    if f.startswith("acc_layers_"):
        titles = ["best epoch (mean, range)", "final epoch (mean, range)", "study (arXiv:2205.07124)"]
    if f.startswith("curves_"):
        titles = ["train acc", "val acc", "train loss", "val loss"]
    for t in titles:
        check(t in text, "%s.svg holds the series title %r" % (f, t))

# The page links what exists.
html = open(os.path.join(out, "index.html")).read()
check(html.startswith("<!DOCTYPE html>") and "<style>" in html and "<table>" in html, "index.html is self-contained with tables")
for link in re.findall(r'(?:src|href)="([^"]+)"', html):
    check(os.path.exists(os.path.join(out, link)), "index.html links an existing file: " + link)
md = open(os.path.join(out, "index.md")).read()
check("skytune bench run --suite quick" in md and "skytune report" in md, "index.md names the commands")
check("ab" * 32 in md, "index.md names the data set hash")
check("failed: " in md and "resnet50-t21-s1: epoch 3: loss nan" in md, "index.md lists the failed cell with its message")
check("1 incomplete cells" in md, "index.md counts the incomplete cell")
print("python checks:", "ok" if fails == 0 else "%d failed" % fails)
sys.exit(1 if fails else 0)
PYEOF
ok test $? -eq 0
# A user can re-render from the figure directory.
ok status_is 0 sh -c "cd '$T/out/figures' && rm -f acc_tlr.png && gnuplot acc_tlr.gp && test -s acc_tlr.png"
# --paper off: no study columns.
ok status_is 0 "$SKYTUNE" report --results "$FIX" --out "$T/nopaper" --paper off --formats svg
ok test "$(awk -F, 'NR>1 && $15!="0"' "$T/nopaper/tables/levels.csv" | wc -l)" -eq 0
ok test ! -e "$T/nopaper/figures/acc_tlr.png"

# 2. Injection: a hostile title cannot break or extend the gnuplot script.
mkdir -p "$T/inj"
EVIL=$(printf 'It'"'"'s "quoted" \\back\\slash "; system("touch pwned") '"'"'; system('"'"'touch pwned'"'"'); `touch pwned` @x ^_&{}\nset output "pwned"\nprint 1')
(cd "$T/inj" && "$SKYTUNE" report --results "$FIX" --out "$T/inj/out" --paper-csv "$PAPER_CSV" --formats png,svg --dpi 60 --title "$EVIL" >"$T/inj.log" 2>&1)
ok test $? -eq 0 || cat "$T/inj.log"
ok test -z "$(find "$T/inj" -name 'pwned*')"
ok test ! -e pwned
ok test ! -e "$T/inj/out/figures/pwned"
ok grep -q "It''s \"quoted\" \\\\back\\\\slash \"; system(\"touch pwned\")" "$T/inj/out/figures/acc_tlr.gp"
ok test "$(grep -c '^print 1' "$T/inj/out/figures/acc_tlr.gp")" -eq 0
"$PY" - "$T/inj/out/figures/acc_tlr.svg" <<'PYEOF'
import sys, xml.etree.ElementTree as ET
text = " ".join(ET.parse(sys.argv[1]).getroot().itertext())
sys.exit(0 if 'It\'s "quoted" \\back\\slash "; system("touch pwned")' in text and "@x ^_&{}" in text else 1)
PYEOF
ok test $? -eq 0
ok grep -q 'It&#39;s &quot;quoted&quot;' "$T/inj/out/index.html"

# 3. Missing gnuplot: clear message, tables and scripts written, non-zero exit.
mkdir -p "$T/emptybin"
PATH="$T/emptybin" "$SKYTUNE" report --results "$FIX" --out "$T/nognuplot" --paper-csv "$PAPER_CSV" >"$T/nognuplot.log" 2>&1
ok test $? -eq 1
ok grep -q "gnuplot not found on PATH" "$T/nognuplot.log"
ok test -s "$T/nognuplot/tables/levels.csv"
ok test -s "$T/nognuplot/tables/summary.tex"
ok test -s "$T/nognuplot/figures/acc_tlr.gp"
ok test -s "$T/nognuplot/figures/acc_tlr.dat"
ok test -s "$T/nognuplot/index.html"
ok test -z "$(find "$T/nognuplot" -name '*.png' -o -name '*.pdf' -o -name '*.svg')"

# 3b. A gnuplot that fails: its own error text is reported, exit status 1.
mkdir -p "$T/fakebin"
cat >"$T/fakebin/gnuplot" <<'SHEOF'
#!/bin/sh
if [ "$2" = "print GPVAL_TERMINALS" ]; then echo " pngcairo pdfcairo svg "; exit 0; fi
echo "\"$3\" line 7: simulated gnuplot failure" >&2
exit 1
SHEOF
chmod +x "$T/fakebin/gnuplot"
PATH="$T/fakebin:$PATH" "$SKYTUNE" report --results "$FIX" --out "$T/gpfail" --paper off >"$T/gpfail.log" 2>&1
ok test $? -eq 1
ok grep -q 'acc_tlr.gp: gnuplot exited with status 1: "acc_tlr.gp" line 7: simulated gnuplot failure' "$T/gpfail.log"
ok test -s "$T/gpfail/tables/levels.csv"

# 4. Corrupted records: named, not skipped (unless --skip-bad).
bad() { rm -rf "$T/bad"; cp -r "$FIX" "$T/bad"; }
CELL=quick/vgg16/vgg16-t4-s2
bad; head -c 300 "$T/bad/$CELL/run.json" >"$T/x" && mv "$T/x" "$T/bad/$CELL/run.json"
"$SKYTUNE" report --results "$T/bad" --out "$T/badout" --paper off >"$T/bad.log" 2>&1
ok test $? -eq 1
ok grep -q "$CELL/run.json:[0-9]*: invalid JSON: unexpected end of text" "$T/bad.log"
ok test ! -e "$T/badout/tables"
"$SKYTUNE" report --results "$T/bad" --out "$T/badout2" --paper off --skip-bad --formats svg >"$T/bad2.log" 2>&1
ok test $? -eq 0
ok grep -q "skipping bad record.*$CELL/run.json" "$T/bad2.log"
ok test "$(awk -F, '$1=="vgg16" && $2=="4" {print $8}' "$T/badout2/tables/levels.csv")" = 1
bad; "$PY" -c "import json,sys; p=sys.argv[1]; d=json.load(open(p)); del d['tpr']; json.dump(d, open(p,'w'))" "$T/bad/$CELL/run.json"
"$SKYTUNE" report --results "$T/bad" --out "$T/badout3" --paper off >"$T/bad3.log" 2>&1
ok test $? -eq 1
ok grep -q "$CELL/run.json: field 'tpr': expected a finite number, found nothing (missing)" "$T/bad3.log"
bad; "$PY" -c "import json,sys; p=sys.argv[1]; d=json.load(open(p)); d['schema_version']=3; json.dump(d, open(p,'w'))" "$T/bad/$CELL/run.json"
"$SKYTUNE" report --results "$T/bad" --out "$T/badout4" --paper off >"$T/bad4.log" 2>&1
ok test $? -eq 1
ok grep -q "$CELL/run.json: field 'schema_version': expected 1..2, found 3" "$T/bad4.log"
bad; head -n 3 "$T/bad/$CELL/metrics.jsonl" >"$T/x" && printf '{"epoch":4,"lr":0.0001,"loss":0.5' >>"$T/x" && mv "$T/x" "$T/bad/$CELL/metrics.jsonl"
"$SKYTUNE" report --results "$T/bad" --out "$T/badout5" --paper off >"$T/bad5.log" 2>&1
ok test $? -eq 1
ok grep -q "$CELL/metrics.jsonl:4: invalid JSON: unexpected end of text" "$T/bad5.log"

# 5. Usage errors.
ok status_is 2 "$SKYTUNE" report --results "$FIX"
ok status_is 2 "$SKYTUNE" report --results "$FIX" --out "$T/u" --formats bmp
ok status_is 2 "$SKYTUNE" report --results "$FIX" --out "$T/u" --paper maybe
ok status_is 1 "$SKYTUNE" report --results "$T/does-not-exist" --out "$T/u"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && rm -rf "$T"
[ "$fail" -eq 0 ]
