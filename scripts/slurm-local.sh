#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for the sweep tests and CI:
#   scripts/slurm-local.sh start   # munged, slurmctld and slurmd as root; waits until the node is idle
#   scripts/slurm-local.sh stop    # stops what start started
#   scripts/slurm-local.sh status
# Needs root and Debian's slurm-wlm and munge. State, logs and slurm.conf live in $SLURM_LOCAL_DIR
# (default /tmp/fundus-slurm); /etc/slurm/slurm.conf points there (a link, made only when absent) so
# that sbatch/squeue need no SLURM_CONF. No accounting database: sacct does not work here, so
# `fundus-train sweep --status` reads squeue and the exit file each array task writes.
set -euo pipefail
DIR="${SLURM_LOCAL_DIR:-/tmp/fundus-slurm}"
CONF="$DIR/slurm.conf"
ETC_CONF=/etc/slurm/slurm.conf

die() { echo "slurm-local: $*" >&2; exit 1; }

need() {
  [ "$(id -u)" = 0 ] || die "must run as root (slurmd starts jobs as root here)"
  for b in munged slurmctld slurmd sinfo sbatch squeue scancel; do
    command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || die "$b not found: apt-get install slurm-wlm munge"
  done
}

write_conf() {
  local host cpus mem
  host="$(hostname -s)"
  cpus="$(nproc)"
  # 90% of the memory free reports, in MiB, so slurmd's own check of RealMemory passes
  mem="$(free -m | awk '/^Mem:/ { printf "%d", $2 * 0.9 }')"
  mkdir -p "$DIR/state" "$DIR/spool"
  cat >"$CONF" <<CONF
# written by scripts/slurm-local.sh: one node, this machine
ClusterName=fundus-local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/jobcomp.txt
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
MessageTimeout=30
KillWait=5
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  if [ ! -e "$ETC_CONF" ]; then
    mkdir -p /etc/slurm
    ln -s "$CONF" "$ETC_CONF"
  fi
}

start_munge() {
  if munge -n >/dev/null 2>&1 </dev/null && unmunge >/dev/null 2>&1 < <(munge -n); then return; fi
  mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
  if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
  fi
  if id munge >/dev/null 2>&1; then
    chown munge:munge /etc/munge/munge.key /run/munge /var/lib/munge /var/log/munge
    chmod 0400 /etc/munge/munge.key
    runuser -u munge -- munged
  else
    chmod 0400 /etc/munge/munge.key
    munged --force
  fi
  for _ in $(seq 20); do munge -n >/dev/null 2>&1 && return; sleep 0.5; done
  die "munged did not start"
}

start() {
  need
  write_conf
  start_munge
  export SLURM_CONF="$CONF"
  pgrep -F "$DIR/slurmctld.pid" >/dev/null 2>&1 || slurmctld -f "$CONF"
  pgrep -F "$DIR/slurmd.pid" >/dev/null 2>&1 || slurmd -f "$CONF"
  for _ in $(seq 60); do
    state="$(sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)"
    if [ "$state" = idle ] || [ "$state" = mixed ] || [ "$state" = allocated ]; then
      echo "slurm-local: node $(hostname -s) $state (conf $CONF)"
      return
    fi
    sleep 1
  done
  die "the node did not become idle in 60 s (state '${state:-none}'); see $DIR/slurmctld.log and $DIR/slurmd.log"
}

stop() {
  for d in slurmd slurmctld; do
    if [ -f "$DIR/$d.pid" ]; then
      pid="$(cat "$DIR/$d.pid")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      rm -f "$DIR/$d.pid"
    fi
  done
  [ -L "$ETC_CONF" ] && [ "$(readlink "$ETC_CONF")" = "$CONF" ] && rm -f "$ETC_CONF"
  echo "slurm-local: stopped (munged left running: other services may use it)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) SLURM_CONF="$CONF" sinfo -N ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
