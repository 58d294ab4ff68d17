#!/usr/bin/env bash
# A private single-node Slurm cluster on loopback, for the Slurm launcher's end-to-end tests
# (tests/e2e/slurm_test.cc). Needs Debian's slurmctld, slurmd, slurm-client and munge
# (scripts/setup.sh installs them) and root (slurmd runs jobs as their user).
#
#   scripts/test_slurm.sh start   configure and start munged + slurmctld + slurmd in the private
#                                 directory, wait until `sinfo` shows the node idle, and print the
#                                 environment the tests need (SLURM_CONF=..., one per line)
#   scripts/test_slurm.sh stop    stop the daemons started by `start` (by their pid files)
#   scripts/test_slurm.sh env     print the environment lines again (exit 1 when not running)
#
# Directory: $AUTOGLM_SLURM_DIR, default /tmp/autoglm-test-slurm. Ports: $AUTOGLM_SLURM_PORT
# (slurmctld) and the next one (slurmd), default 16817. `start` is idempotent: a cluster that
# already answers is reused. Exit status: 0 ready; 3 the Slurm programs are not installed;
# 4 the daemons started but cannot run a job here (the reason is printed, prefixed "cannot run
# jobs:"); 1 anything else.
set -euo pipefail

DIR=${AUTOGLM_SLURM_DIR:-/tmp/autoglm-test-slurm}
PORT=${AUTOGLM_SLURM_PORT:-16817}
NODE=$(hostname -s)
CONF=$DIR/slurm.conf

die() { echo "test_slurm: $*" >&2; exit "${2:-1}"; }

print_env() {
  echo "SLURM_CONF=$CONF"
}

running() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

node_idle() {
  local state
  state=$(SLURM_CONF=$CONF timeout 5 sinfo -h -n "$NODE" -o '%t' 2>/dev/null | head -n1) || return 1
  [[ $state == idle* || $state == mix* || $state == alloc* ]]
}

stop() {
  for pidf in "$DIR/slurmd.pid" "$DIR/slurmctld.pid" "$DIR/munged.pid"; do
    if running "$pidf"; then
      local pid
      pid=$(cat "$pidf")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidf"
  done
}

start() {
  for prog in munged slurmctld slurmd sinfo sbatch squeue scancel; do
    command -v "$prog" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
    command -v "$prog" >/dev/null 2>&1 ||
      die "$prog not found: install Debian's slurmctld slurmd slurm-client munge (scripts/setup.sh)" 3
  done
  [[ $(id -u) -eq 0 ]] || die "needs root (slurmd starts jobs as their user)" 3
  # Tests may start in parallel: one `start` at a time.
  mkdir -p "$(dirname "$DIR")"
  exec 9>"$DIR.lock"
  flock 9

  if running "$DIR/slurmctld.pid" && running "$DIR/slurmd.pid" && node_idle; then
    print_env
    return 0
  fi
  stop
  mkdir -p "$DIR/state" "$DIR/spool" "$DIR/munge"
  chmod 700 "$DIR/munge"

  # munge: a private key and socket, so the system's munged (if any) is left alone.
  if [[ ! -s $DIR/munge/munge.key ]]; then
    dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none
    chmod 400 "$DIR/munge/munge.key"
  fi
  # The daemons get neither the lock (fd 9) nor our stdout: a caller reading our output until EOF
  # (popen) must not wait for them.
  munged --force --key-file="$DIR/munge/munge.key" --socket="$DIR/munge/munge.socket" \
    --pid-file="$DIR/munged.pid" --log-file="$DIR/munged.log" --seed-file="$DIR/munge/munge.seed" \
    </dev/null >>"$DIR/munged.out" 2>&1 9>&- ||
    die "munged did not start: $(tail -n1 "$DIR/munged.log" 2>/dev/null)"

  local cpus mem
  cpus=$(nproc)
  mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
  : > "$DIR/plugstack.conf"
  cat > "$CONF" <<EOF
# Written by scripts/test_slurm.sh: a single-node test cluster on loopback.
ClusterName=autoglmtest
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.socket
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
PlugStackConfig=$DIR/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SwitchType=switch/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
MinJobAge=300
KillWait=5
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
  export SLURM_CONF=$CONF
  slurmctld -i </dev/null >>"$DIR/slurmctld.out" 2>&1 9>&- || die "slurmctld did not start: $(tail -n2 "$DIR/slurmctld.log" 2>/dev/null)"
  for _ in $(seq 100); do running "$DIR/slurmctld.pid" && timeout 5 scontrol ping >/dev/null 2>&1 && break; sleep 0.2; done
  running "$DIR/slurmctld.pid" || die "slurmctld exited: $(tail -n3 "$DIR/slurmctld.log" 2>/dev/null)"
  slurmd -N "$NODE" </dev/null >>"$DIR/slurmd.out" 2>&1 9>&- || die "cannot run jobs: slurmd did not start: $(tail -n3 "$DIR/slurmd.log" 2>/dev/null)" 4
  for _ in $(seq 150); do node_idle && break; sleep 0.2; done
  node_idle || die "cannot run jobs: node $NODE not idle after 30 s: $(sinfo -h -o '%t %E' 2>&1 | head -n1); $(tail -n3 "$DIR/slurmd.log" 2>/dev/null)" 4

  # A job must really run: slurmd may start but fail every launch (cgroups, namespaces).
  local out=$DIR/probe.out
  rm -f "$out"
  local id
  id=$(sbatch --parsable --output="$out" --wrap 'echo probe-ok' 2>"$DIR/probe.err") ||
    die "cannot run jobs: sbatch refused a probe job: $(head -n1 "$DIR/probe.err")" 4
  id=${id%%;*}
  for _ in $(seq 100); do grep -q probe-ok "$out" 2>/dev/null && break; sleep 0.2; done
  if ! grep -q probe-ok "$out" 2>/dev/null; then
    local why
    why=$(scontrol show job "$id" 2>/dev/null | grep -oE 'JobState=[A-Z_]+|Reason=[^ ]+' | tr '\n' ' ')
    die "cannot run jobs: probe job $id did not run within 20 s ($why); slurmd.log: $(grep -iE 'error|fail' "$DIR/slurmd.log" | tail -n2 | tr '\n' ' ')" 4
  fi
  print_env
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  env) if running "$DIR/slurmctld.pid"; then print_env; else exit 1; fi ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
