# LABELS: e2e
# TIMEOUT: 300
# `skytune report` under interruption and hostile conditions (issue 18, findings 3, 4 and 8):
#   1. two reports of the same records are byte-identical, PDFs included (SOURCE_DATE_EPOCH or
#      the fixed default date);
#   2. a SIGKILL of the whole process group at several moments of a report leaves every figure
#      absent, the previous complete one or the new complete one, no gnuplot behind, and the
#      next run removes the temp files the kill left (saying so) and completes, in figures/,
#      tables/ and the page's folder alike (a kill just before a table's or the page's rename
#      leaves one there deterministically; the timed kills reach them on a loaded machine);
#   3. gnuplot dies with skytune when only skytune is killed (PR_SET_PDEATHSIG);
#   4. a full disk for gnuplot (RLIMIT_FSIZE: killed by SIGXFSZ, or with SIGXFSZ ignored exiting
#      0 after short writes) is an error naming the figure, and no figure is truncated;
#   5. a figures/ or tables/ folder that is a symbolic link out of the output folder is refused.
set -u
pass=0; fail=0
ok() { if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $*"; fi; }

PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIPPED: /usr/bin/python3 is needed"; exit 77; }
GNUPLOT=$(command -v gnuplot) || { echo "SKIPPED: gnuplot (Debian gnuplot-nox) is not installed"; exit 77; }
FIX="$SRC/tests/data/report_fixture/results"
T="${SK_TEST_TMP:-/tmp}/test_report_hostile.$$"
rm -rf "$T"; mkdir -p "$T"
SKYTUNE=$(cd "$(dirname "$SKYTUNE")" && pwd)/$(basename "$SKYTUNE")
ARGS=(report --results "$FIX" --out "$T/out" --paper off --dpi 60 --title Hostile)

# Every figure in $1 is complete; with $2, each one present in $2 is byte-identical to it.
check_figures() {
  "$PY" - "$@" <<'PYEOF'
import os, struct, sys
d = sys.argv[1]; ref = sys.argv[2] if len(sys.argv) > 2 else None
bad = 0
def complete(p, b):
    if p.endswith(".png"):
        if b[:8] != b"\x89PNG\r\n\x1a\n": return "no signature"
        at = 8
        while at + 12 <= len(b):
            n = struct.unpack(">I", b[at:at+4])[0]
            if b[at+4:at+8] == b"IEND": return None if at + 12 + n == len(b) else "bytes after IEND"
            at += 12 + n
        return "no IEND"
    if p.endswith(".pdf"):
        return None if b.startswith(b"%PDF-") and b.rstrip().endswith(b"%%EOF") else "no %%EOF"
    return None if b"<svg" in b[:512] and b.rstrip().endswith(b"</svg>") else "no </svg>"
for f in sorted(os.listdir(d)):
    if not f.endswith((".png", ".pdf", ".svg")): continue
    b = open(os.path.join(d, f), "rb").read()
    why = complete(f, b)
    if why: print("FAIL: %s/%s is incomplete: %s (%d bytes)" % (d, f, why, len(b))); bad += 1
    if ref and os.path.exists(os.path.join(ref, f)) and open(os.path.join(ref, f), "rb").read() != b:
        print("FAIL: %s/%s differs from the complete reference" % (d, f)); bad += 1
sys.exit(1 if bad else 0)
PYEOF
}
no_temps() { [ -z "$(find "$1" -name '*.tmp.*')" ] || { find "$1" -name '*.tmp.*'; return 1; }; }

# 1. Byte-identical reports.
"$SKYTUNE" "${ARGS[@]}" >"$T/r1.log" 2>&1
ok test $? -eq 0 || cat "$T/r1.log"
cp -r "$T/out" "$T/ref"
ok test "$(find "$T/ref/figures" -name '*.pdf' | wc -l)" -ge 10
"$SKYTUNE" "${ARGS[@]}" >"$T/r2.log" 2>&1
ok test $? -eq 0
ok diff -r "$T/ref" "$T/out"
ok grep -q "/CreationDate (D:19700101000000Z)" "$T/ref/figures/acc_tlr.pdf"
SOURCE_DATE_EPOCH=1652486400 "$SKYTUNE" report --results "$FIX" --out "$T/sde" --paper off --dpi 60 --title Hostile --formats pdf >/dev/null 2>&1
ok grep -q "/CreationDate (D:20220514000000Z)" "$T/sde/figures/acc_tlr.pdf"
ok cmp -s <(sed 's/D:2022051400000/D:1970010100000/' "$T/sde/figures/acc_tlr.pdf") "$T/ref/figures/acc_tlr.pdf"

# 2. Process-group SIGKILL at several moments (new session: pid = process group id).
for delay in 0.15 0.4 0.8 1.2 1.7 2.3; do
  "$PY" -c 'import os, subprocess, sys, time, signal
p = subprocess.Popen(sys.argv[2:], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(float(sys.argv[1]))
try: os.killpg(p.pid, signal.SIGKILL)
except ProcessLookupError: pass
p.wait()
time.sleep(0.2)
# zombies are dead (a container init may not reap them); anything else left is a survivor
left = [l for l in os.popen("ps -eo pgid=,stat=,comm=").read().split("\n")
        if l.split() and l.split()[0] == str(p.pid) and not l.split()[1].startswith("Z")]
if left: print("survivors:", left)
sys.exit(1 if left else 0)' "$delay" "$SKYTUNE" "${ARGS[@]}"
  ok test $? -eq 0   # nothing of the group survives (gnuplot included)
  ok check_figures "$T/out/figures" "$T/ref/figures"
done
# The next run removes what the kills left, says so when there was something, and completes.
touch "$T/out/figures/acc_tlr.png.tmp.999999999"   # a temp of a process that cannot exist
"$SKYTUNE" "${ARGS[@]}" >"$T/r3.log" 2>&1
ok test $? -eq 0
ok grep -q "removed stale temporary file .*acc_tlr.png.tmp.999999999" "$T/r3.log"
ok no_temps "$T/out"
ok diff -r "$T/ref/figures" "$T/out/figures"
for at in tables/levels.csv out/index.md; do
  SKYTUNE_TEST_KILL_AT="$at" "$SKYTUNE" "${ARGS[@]}" >"$T/kill.log" 2>&1
  ok test $? -eq 137
  ok test -n "$(find "$T/out" -path "*$at.tmp.*")"
  "$SKYTUNE" "${ARGS[@]}" >"$T/after.log" 2>&1
  ok test $? -eq 0
  ok grep -q "removed stale temporary file .*$at.tmp.[0-9]" "$T/after.log"
  ok no_temps "$T/out"
done
ok diff -r "$T/ref" "$T/out"

# 3. Only skytune is killed while gnuplot runs: gnuplot must not outlive it.
mkdir -p "$T/slowbin"
cat >"$T/slowbin/gnuplot" <<SHEOF
#!/bin/sh
if [ "\$2" = "print GPVAL_TERMINALS" ]; then echo " pngcairo pdfcairo svg "; exit 0; fi
echo \$\$ > "$T/gnuplot.pid"
exec sleep 60
SHEOF
chmod +x "$T/slowbin/gnuplot"
PATH="$T/slowbin:$PATH" "$SKYTUNE" report --results "$FIX" --out "$T/orphan" --paper off >/dev/null 2>&1 &
sk=$!
for _ in $(seq 1 100); do [ -s "$T/gnuplot.pid" ] && break; sleep 0.05; done
gp=$(cat "$T/gnuplot.pid" 2>/dev/null || echo 0)
ok test "$gp" -gt 0
kill -KILL "$sk"; wait "$sk" 2>/dev/null
alive() { [ -e "/proc/$1" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }
for _ in $(seq 1 40); do alive "$gp" || break; sleep 0.05; done
ok bash -c "! { [ -e /proc/$gp ] && ! grep -q '^[0-9]* ([^)]*) Z' /proc/$gp/stat; }"
alive "$gp" && kill -KILL "$gp" 2>/dev/null

# 4. A full disk for gnuplot: 8 KiB per file; SIGXFSZ kills it, or (ignored) it exits 0 after
#    short writes. Either way: exit 1, the figure named, nothing truncated, no temp left.
for mode in signal ignored; do
  mkdir -p "$T/fullbin-$mode"
  trap_line=""; [ "$mode" = ignored ] && trap_line="trap '' XFSZ"
  cat >"$T/fullbin-$mode/gnuplot" <<SHEOF
#!/bin/bash
if [ "\$2" = "print GPVAL_TERMINALS" ]; then exec "$GNUPLOT" "\$@"; fi
$trap_line
ulimit -f 8
exec "$GNUPLOT" "\$@"
SHEOF
  chmod +x "$T/fullbin-$mode/gnuplot"
  rm -rf "$T/full"; cp -r "$T/ref" "$T/full"
  PATH="$T/fullbin-$mode:$PATH" "$SKYTUNE" report --results "$FIX" --out "$T/full" --paper off --dpi 60 --title Hostile >"$T/full-$mode.log" 2>&1
  ok test $? -eq 1
  if [ "$mode" = ignored ]; then
    ok grep -Eq "^[a-z_0-9]+\.(png|pdf|svg): gnuplot wrote an incomplete file" "$T/full-$mode.log"
  else
    ok grep -Eq "^[a-z_0-9]+\.gp: gnuplot exited with status 153" "$T/full-$mode.log"
  fi
  ok check_figures "$T/full/figures" "$T/ref/figures"
  ok no_temps "$T/full"
done

# 5. figures/ or tables/ of the output that is a symbolic link out of it: refused, nothing
#    written there. $1: the folder, $2: the message expected.
linked_out() {
  mkdir -p "$T/linked-$1/out" "$T/elsewhere-$1"
  ln -s "$T/elsewhere-$1" "$T/linked-$1/out/$1"
  "$SKYTUNE" report --results "$FIX" --out "$T/linked-$1/out" --paper off --formats svg >"$T/linked-$1.log" 2>&1
  ok test $? -eq 1
  ok grep -q "$2" "$T/linked-$1.log"
  ok test -z "$(ls "$T/elsewhere-$1")"
}
linked_out figures "figures: is a symbolic link; refusing to write figures through it"
linked_out tables "tables: is a symbolic link (to $T/elsewhere-tables); refusing to write through it"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && rm -rf "$T"
[ "$fail" -eq 0 ]
