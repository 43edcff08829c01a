#!/usr/bin/env bash
# A real Slurm for this one machine, to test `ranklab sweep --backend slurm`:
#   bench/local-slurm.sh start   # installs slurm-wlm and munge if missing, starts the daemons
#   bench/local-slurm.sh stop    # cancels its jobs, stops its daemons by their pid files
# Needs root and no systemd. Everything lives in $SLURM_LOCAL (default /tmp/ranklab-slurm):
# state, spool, logs, pid files and a munged of its own (its socket there too), so this Slurm
# never touches another one on the machine and `stop` ends only what `start` began. The
# controller listens on $SLURM_PORT (default 6817) and slurmd on the next port.
# `export SLURM_CONF=$SLURM_LOCAL/slurm.conf` before sbatch/squeue/sinfo.
set -euo pipefail
dir=${SLURM_LOCAL:-/tmp/ranklab-slurm}
conf=$dir/slurm.conf
port=${SLURM_PORT:-6817}
host=$(hostname)
cpus=$(nproc)
socket=$dir/munge/munge.socket

start() {
  if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
    || ! command -v munged >/dev/null; then
    echo "installing slurm-wlm and munge ..."
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null
  fi
  mkdir -p "$dir"/{state,spool,log,munge}
  # munged runs as the munge user, who must reach its socket and pid file in here.
  chmod 755 "$dir"
  chown munge:munge "$dir/munge"
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  if ! [ -S "$socket" ] || ! munge --socket="$socket" -n >/dev/null 2>&1; then
    su -s /bin/sh munge -c "munged --socket=$socket --pid-file=$dir/munge/munged.pid \
      --seed-file=$dir/munge/munged.seed --log-file=$dir/munge/munged.log"
  fi
  cat >"$conf" <<CONF
ClusterName=ranklab
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=$conf
  slurmctld -f "$conf"
  slurmd -f "$conf"
  for _ in $(seq 1 100); do
    if sinfo -h -o %T 2>/dev/null | grep -q idle; then
      echo "slurm up: export SLURM_CONF=$conf"
      return 0
    fi
    sleep 0.2
  done
  echo "slurm did not come up in 20 s; see $dir/log/ and $dir/munge/munged.log:" >&2
  tail -n 5 "$dir"/log/*.log "$dir/munge/munged.log" >&2 || true
  return 1
}

stop() {
  if [ -s "$dir/slurmctld.pid" ]; then
    # Jobs still running would outlive slurmd (their slurmstepd is a process of its own).
    SLURM_CONF=$conf timeout 10 scancel --quiet --full \
      $(SLURM_CONF=$conf timeout 10 squeue -h -o %A 2>/dev/null | sort -u) 2>/dev/null || true
  fi
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    if [ -s "$pidfile" ]; then
      pid=$(cat "$pidfile")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      rm -f "$pidfile"
    fi
  done
  echo "slurm stopped"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
