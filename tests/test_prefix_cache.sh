# LABELS: e2e
# TIMEOUT: 300
# The on-disk frozen-prefix cache (`--cache DIR`, issue 18 item 7): a run stores the boundary
# tensors of its cells in DIR/prefix; a second run of the same cells in another results folder
# loads them (no new entry, every entry's last-use time refreshed) and its records are identical
# to the first run's and to a run without the cache; --cache-max keeps the folder within its
# limit; `bench cache` lists the entries and prunes them. Boundaries over the in-memory limit
# (SKYTUNE_CACHE_MEM=0 here) are streamed per batch from a file: a spill file in the cell's folder,
# removed when the cell ends and reused when a killed cell resumes, or an entry kept in --cache;
# the records are identical to the in-memory and uncached runs' in every case.
set -u
pass=0; fail=0
ok() { if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $*"; fi; }
T="${SK_TEST_TMP:-/tmp}/test_prefix_cache.$$"
rm -rf "$T"; mkdir -p "$T"
export SKYTUNE_CACHE="$T/weights"   # smoke trains from scratch; nothing is fetched
run() { "$SKYTUNE" --quiet bench run --suite smoke --only arch=mobilenetv2 "$@" >>"$T/log" 2>&1; }

ok run --out "$T/nocache"
D="$T/nocache/data/smoke-synth.skds"   # one data set for all runs (the cache key includes its hash)
ok run --data "$D" --out "$T/a" --cache "$T/c"
n1=$(ls "$T/c/prefix"/*.skfc 2>/dev/null | wc -l)
ok test "$n1" -ge 2
ls -l --time-style=+%s "$T/c/prefix" | awk '/skfc/ {print $6, $7}' | sort -k2 > "$T/t1"
sleep 1.1
ok run --data "$D" --out "$T/b" --cache "$T/c"
n2=$(ls "$T/c/prefix"/*.skfc | wc -l)
ok test "$n2" -eq "$n1"
ls -l --time-style=+%s "$T/c/prefix" | awk '/skfc/ {print $6, $7}' | sort -k2 > "$T/t2"
# every entry was used again: each one's time moved
ok test "$(join -1 2 -2 2 "$T/t1" "$T/t2" | awk '$2 < $3' | wc -l)" -eq "$n1"
ok "$SKYTUNE" bench check --results "$T/b" --against "$T/a"
ok "$SKYTUNE" bench check --results "$T/a" --against "$T/nocache"

# listing, then a limit smaller than the folder
"$SKYTUNE" bench cache --cache "$T/c" > "$T/list" 2>&1
ok grep -q "$n1 entries" "$T/list"
largest=$(ls -l "$T/c/prefix" | awk '/skfc/ {print $5}' | sort -n | tail -1)
ok run --data "$D" --out "$T/d" --cache "$T/c" --cache-max "$largest"
total=$(ls -l "$T/c/prefix" | awk '/skfc/ {s += $5} END {print s + 0}')
ok test "$total" -le "$largest"
ok "$SKYTUNE" bench check --results "$T/d" --against "$T/a"
"$SKYTUNE" bench cache --cache "$T/c" --prune --max 0 > "$T/prune" 2>&1
ok grep -q "0 entries" "$T/prune"
ok test "$(ls "$T/c/prefix" | wc -l)" -eq 0
"$SKYTUNE" bench cache --cache "$T/c" --prune --max 12Q > /dev/null 2>&1; ok test $? -eq 2

# streamed from files: spill in the cell folder (gone afterwards), or kept in the cache folder
count() { find "$1" -name '*.skfc' | wc -l; }
SKYTUNE_CACHE_MEM=0 "$SKYTUNE" bench run --suite smoke --only arch=mobilenetv2 --data "$D" --out "$T/s" >"$T/s.log" 2>&1
ok test $? -eq 0
ok grep -q "streaming them from $T/s/.* (removed when the cell ends)" "$T/s.log"
ok test "$(grep -c 'boundaries of .* written to' "$T/s.log")" -eq 4   # 2 cells x train, val
ok test "$(count "$T/s")" -eq 0
ok "$SKYTUNE" bench check --results "$T/s" --against "$T/nocache"
SKYTUNE_CACHE_MEM=0 run --data "$D" --out "$T/k" --cache "$T/c2"
ok test "$(count "$T/c2/prefix")" -eq 4
SKYTUNE_CACHE_MEM=0 run --data "$D" --out "$T/k2" --cache "$T/c2"
ok test "$(count "$T/c2/prefix")" -eq 4
ok "$SKYTUNE" bench check --results "$T/k" --against "$T/nocache"
ok "$SKYTUNE" bench check --results "$T/k2" --against "$T/nocache"
SKYTUNE_CACHE_MEM=0z run --data "$D" --out "$T/z" 2>/dev/null   # a bad value is said and ignored
ok grep -q "SKYTUNE_CACHE_MEM: " "$T/log"
# killed at the end of the second epoch of the first cell (its first checkpoint in place): its spill files stay, the resumed cell reads
# them instead of recomputing, and removes them when it ends
SKYTUNE_CACHE_MEM=0 SKYTUNE_TEST_KILL_AT=last.skck:2 "$SKYTUNE" bench run --suite smoke --only arch=mobilenetv2 \
    --data "$D" --out "$T/kill" >"$T/kill.log" 2>&1
ok test "$(count "$T/kill")" -eq 2
SKYTUNE_CACHE_MEM=0 "$SKYTUNE" bench run --suite smoke --only arch=mobilenetv2 --data "$D" --out "$T/kill" >"$T/resume.log" 2>&1
ok test $? -eq 0
ok grep -q "resuming after epoch 1" "$T/resume.log"
ok test "$(grep -c 'boundaries of .* written to' "$T/resume.log")" -eq 2   # only the second cell's
ok test "$(count "$T/kill")" -eq 0
ok "$SKYTUNE" bench check --results "$T/kill" --against "$T/nocache"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && rm -rf "$T"
[ "$fail" -eq 0 ]
