# LABELS: dataset e2e
# TIMEOUT: 240
# Writers under interruption and hostile output folders (issue 18, findings 2 and 4):
#   - a SIGKILLed `synth --out X.skds` / `pack` leaves X.skds.tmp.<pid>; the next run removes it
#     and says so; a temp file of a live process (a concurrent writer) is left alone;
#   - export, and synth/cutout folder output, remove their stale temps too;
#   - a class folder of a folder output that is a symbolic link out of it is refused (synth,
#     fetch), nothing is written through it.
set -u
pass=0; fail=0
ok() { if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $*"; fi; }
T="${SK_TEST_TMP:-/tmp}/test_writers_hostile.$$"
rm -rf "$T"; mkdir -p "$T"
cd "$T" || exit 1
dead_pid() { sh -c 'echo $$'; }   # a process that has exited

# 1. Killed synth into a .skds: its temp file stays, the next run removes it and says so.
"$SKYTUNE" --quiet dataset synth --out big.skds --n 3000 --size 64 --seed 1 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 200); do [ -s "big.skds.tmp.$pid" ] && break; sleep 0.05; done
sleep 0.3
kill -KILL "$pid"; wait "$pid" 2>/dev/null
ok test -s "big.skds.tmp.$pid"
ok test ! -e big.skds
"$SKYTUNE" --quiet dataset synth --out big.skds --n 20 --size 16 >synth.log 2>&1
ok test $? -eq 0
ok grep -q "removed stale temporary file big.skds.tmp.$pid (.* bytes) left by process $pid, which no longer runs" synth.log
ok test -z "$(ls | grep '\.tmp\.')"

# 2. pack: a dead writer's temp is removed, a live one's is kept.
"$SKYTUNE" --quiet dataset synth --out syn --n 12 --size 16 >/dev/null 2>&1
d=$(dead_pid)
sleep 30 & live=$!
head -c 5000 /dev/zero >"p.skds.tmp.$d"
touch "p.skds.tmp.$live"
"$SKYTUNE" --quiet dataset pack --in syn --out p.skds --size 8 >pack.log 2>&1
ok test $? -eq 0
ok grep -q "removed stale temporary file p.skds.tmp.$d (5000 bytes)" pack.log
ok test ! -e "p.skds.tmp.$d"
ok test -e "p.skds.tmp.$live"
kill "$live" 2>/dev/null; wait "$live" 2>/dev/null
rm -f "p.skds.tmp.$live"

# 3. export archive and npy, synth folder output (class folders).
d=$(dead_pid)
touch "a.tar.gz.tmp.$d" syn/STAR/00000001.png.tmp."$d"
mkdir -p npy && touch "npy/x.npy.tmp.$d"
"$SKYTUNE" --quiet dataset export p.skds --archive a.tar.gz >exp.log 2>&1
ok grep -q "a.tar.gz.tmp.$d" exp.log
"$SKYTUNE" --quiet dataset export p.skds --npy npy >npy.log 2>&1
ok grep -q "x.npy.tmp.$d" npy.log
"$SKYTUNE" --quiet dataset synth --out syn --n 12 --size 16 >syn.log 2>&1
ok grep -q "00000001.png.tmp.$d" syn.log
ok test -z "$(find . -name "*.tmp.$d")"

# 4. A class folder that is a symbolic link out of the output folder: refused, nothing written there.
mkdir -p elsewhere evil
ln -s "$T/elsewhere" evil/STAR
"$SKYTUNE" --quiet dataset synth --out evil --n 6 --size 16 >evil.log 2>&1
ok test $? -eq 1
ok grep -q "evil/STAR: is a symbolic link (to $T/elsewhere); refusing to write through it" evil.log
ok test -z "$(ls elsewhere)"
printf 'objid,ra,dec,class\n1237,10,20,STAR\n' >cat.csv
mkdir -p fout && ln -s "$T/elsewhere" fout/STAR
"$SKYTUNE" dataset fetch --catalog cat.csv --out fout --base-url http://127.0.0.1:9 --retries 0 --timeout 1 --quiet >fetch.log 2>&1
ok test $? -eq 1
ok grep -q "fout/STAR: is a symbolic link" fetch.log
ok test -z "$(ls elsewhere)"

echo "$pass passed, $fail failed"
cd / && [ "$fail" -eq 0 ] && rm -rf "$T"
[ "$fail" -eq 0 ]
