# LABELS: slurm
# TIMEOUT: 600
# test_slurm.sh: `skytune bench slurm --submit` against a real single-node Slurm started here.
#
# Starts munged (generated key, socket under a temp dir), slurmctld and slurmd from Debian's
# packages with a generated slurm.conf (NodeName=localhost, CPUs from nproc, every state, spool,
# log and pid file under the temp dir; nothing under /etc is read or written), submits the smoke
# suite as a job array plus the dependent report job, waits for both, runs the same suite
# locally and requires `skytune bench check` to find the records identical. Then re-submission
# must say "nothing to do" and submit nothing, and a failing cell must be listed by
# `skytune bench status` with its Slurm log. Every daemon is stopped by the PID this script
# started (trap EXIT). Skips (77) without the binaries or without root.
set -euo pipefail

skip() { echo "SKIPPED: $*"; exit 77; }
for b in slurmctld slurmd munged sbatch squeue sinfo scontrol; do
  command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || skip "$b not installed (run ci/install-deps.sh slurm as root)"
done
[ "$(id -u)" -eq 0 ] || skip "a private single-node Slurm (SlurmUser=root) needs root here"
export PATH="$PATH:/usr/sbin"
: "${SKYTUNE:?SKYTUNE must name the skytune binary}"

base=${SK_TEST_TMP:-/tmp}
mkdir -p "$base"
T=$(mktemp -d "$base/slurm.XXXXXX")
chmod 700 "$T"
R1="$T/r 1'q"   # blanks and a quote: the scripts must quote every path
pids=()
cleanup() {
  local rc=$?
  set +e
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
    for f in slurmctld.log slurmd.log munged.log; do
      [ -f "$T/$f" ] && { echo "---- $f (tail)"; tail -n 30 "$T/$f"; }
    done
    for f in "$R1"/slurm/logs/*.log; do [ -f "$f" ] && { echo "---- $f (tail)"; tail -n 20 "$f"; }; done
  fi
  rm -rf "$T"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }

# Free TCP ports on 127.0.0.1 (bound then released; the daemons take them right after).
read -r P1 P2 < <(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])' 2>/dev/null || echo "$((20000 + RANDOM % 20000)) $((40000 + RANDOM % 20000))")

# --- munge: generated key, private socket ---------------------------------------------------
mkdir -p "$T/munge"
chmod 700 "$T/munge"
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 status=none
chmod 0400 "$T/munge/munge.key"
SOCK="$T/munge/munge.socket.2"
munged --foreground --force --socket="$SOCK" --key-file="$T/munge/munge.key" \
  --pid-file="$T/munge/munged.pid" --log-file="$T/munged.log" --seed-file="$T/munge/munged.seed" \
  >"$T/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || { cat "$T/munged.out"; fail "munged did not create $SOCK"; }

# --- slurm.conf ------------------------------------------------------------------------------
mem=$(free -m | awk '/^Mem:/ {print $2}')
mem=$(( mem > 2048 ? mem - 1024 : mem / 2 ))
mkdir -p "$T/state" "$T/spool"
: >"$T/plugstack.conf"
CONF="$T/slurm.conf"
cat >"$CONF" <<EOF
ClusterName=skytunetest
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$P1
SlurmdPort=$P2
AuthType=auth/munge
AuthInfo=socket=$SOCK
CredType=cred/munge
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
PlugStackConfig=$T/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
MinJobAge=300
NodeName=localhost CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$CONF"

slurmctld -D -i -f "$CONF" >"$T/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -N localhost -f "$CONF" >"$T/slurmd.out" 2>&1 &
pids+=($!)

ok=0
for _ in $(seq 120); do
  st=$(sinfo -h -n localhost -o '%t' 2>/dev/null || true)
  case "$st" in idle*) ok=1; break ;; esac
  sleep 0.5
done
[ $ok -eq 1 ] || { sinfo 2>&1 || true; cat "$T/slurmctld.out" "$T/slurmd.out"; fail "node localhost not idle within 60 s (state '$st')"; }
echo "slurm up: $(sinfo -h -o '%P %a %D %t %C')"

# --- the sweep through Slurm -----------------------------------------------------------------
export SKYTUNE_CACHE="$T/cache"
t0=$(date +%s)
"$SKYTUNE" bench slurm --suite smoke --out "$R1" --time 00:20:00 --submit | tee "$T/submit.out"
job=$(awk '/^sweep job / {print $3}' "$T/submit.out")
rjob=$(awk '/^report job / {print $3}' "$T/submit.out")
[ -n "$job" ] && [ -n "$rjob" ] || fail "no job ids in the output of bench slurm --submit"
grep -q "^#SBATCH --array=0-5$" "$R1/slurm/sweep.sbatch" || fail "sweep.sbatch: expected --array=0-5"
[ "$(wc -l <"$R1/slurm/cells.tsv")" -eq 7 ] || fail "cells.tsv: expected a header and 6 cells"

# Wait for both jobs to leave the queue (bounded).
gone=0
for _ in $(seq 480); do
  if [ -z "$(squeue -h -j "$job,$rjob" -o '%i' 2>/dev/null || echo busy)" ]; then gone=1; break; fi
  sleep 1
done
[ $gone -eq 1 ] || { squeue; fail "jobs $job/$rjob still queued after 480 s"; }
echo "slurm sweep + report: $(( $(date +%s) - t0 )) s"

ndone=$(find "$R1" -name DONE | wc -l)
[ "$ndone" -eq 6 ] || { "$SKYTUNE" bench status --results "$R1" --suite smoke || true; fail "expected 6 DONE cells, found $ndone"; }
nlogs=$(ls "$R1/slurm/logs/${job}"_*.log | wc -l)
[ "$nlogs" -eq 6 ] || fail "expected 6 array task logs, found $nlogs"
[ -L "$R1/vgg16/vgg16-t4-s1/slurm.log" ] || fail "cell slurm.log link missing"
grep -q "cell vgg16-t4-s1" "$R1/vgg16/vgg16-t4-s1/slurm.log" || fail "cell log does not name its cell"
[ -f "$R1/report/index.md" ] || { ls -R "$R1/report" 2>/dev/null || true; cat "$R1"/slurm/logs/report_*.log; fail "report job wrote no report/index.md"; }

# --- the same suite locally: identical records ------------------------------------------------
# Same thread count as the array tasks (--cpus-per-task 1): bit-identity is promised for the
# same binary, data and thread count (record.h, platform fingerprint).
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$SKYTUNE" --quiet bench run --suite smoke --out "$T/r2"
"$SKYTUNE" bench check --results "$R1" --against "$T/r2"

# --- re-submission: every cell DONE, nothing to submit -----------------------------------------
"$SKYTUNE" bench slurm --suite smoke --out "$R1" --submit >"$T/resubmit.out"
grep -q "nothing to do" "$T/resubmit.out" || { cat "$T/resubmit.out"; fail "re-submission did not say nothing to do"; }
grep -q "^sweep job" "$T/resubmit.out" && fail "re-submission submitted a job"
[ ! -e "$R1/slurm/sweep.sbatch" ] || fail "stale sweep.sbatch left after an empty plan"
awk -F'\t' 'NR > 1 && ($6 != 1 || $7 != "-") {bad = 1} END {exit bad}' "$R1/slurm/cells.tsv" ||
  fail "cells.tsv: expected every cell done=1 task=-"

# --- a failing cell: listed by bench status with its Slurm log ----------------------------------
rm "$R1/vgg16/vgg16-t1-s1/DONE"
: >"$T/bad.skds"
"$SKYTUNE" bench slurm --suite smoke --out "$R1" --data "$T/bad.skds" --submit >"$T/fail.out"
grep -q "^#SBATCH --array=0-0$" "$R1/slurm/sweep.sbatch" || fail "expected a one-cell array"
fjob=$(awk '/^sweep job / {print $3}' "$T/fail.out")
frjob=$(awk '/^report job / {print $3}' "$T/fail.out")
gone=0
for _ in $(seq 120); do
  if [ -z "$(squeue -h -j "$fjob,$frjob" -o '%i' 2>/dev/null || echo busy)" ]; then gone=1; break; fi
  sleep 1
done
[ $gone -eq 1 ] || fail "failing job $fjob still queued"
set +e
"$SKYTUNE" bench status --results "$R1" --suite smoke >"$T/status.out"
src=$?
set -e
cat "$T/status.out"
[ $src -eq 1 ] || fail "bench status: expected exit 1 with a failed cell, found $src"
grep -q "^failed *vgg16-t1-s1 .*log: .*logs/${fjob}_0.log" "$T/status.out" ||
  fail "bench status does not list vgg16-t1-s1 as failed with its Slurm log ${fjob}_0.log"
echo "test_slurm: ok ($(( $(date +%s) - t0 )) s after Slurm came up)"
