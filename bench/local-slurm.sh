#!/usr/bin/env bash
# A real Slurm for this one machine, to test `ranklab sweep --backend slurm`:
#   bench/local-slurm.sh start   # installs slurm-wlm and munge if missing, starts the daemons
#   bench/local-slurm.sh stop    # stops them by their pid files
# Needs root and no systemd. State, spool, logs and pid files live in $SLURM_LOCAL (default
# /tmp/ranklab-slurm); `export SLURM_CONF=$SLURM_LOCAL/slurm.conf` before sbatch/squeue/sinfo.
set -euo pipefail
dir=${SLURM_LOCAL:-/tmp/ranklab-slurm}
conf=$dir/slurm.conf
host=$(hostname)
cpus=$(nproc)

start() {
  if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge
  fi
  mkdir -p "$dir"/{state,spool,log}
  if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  chown munge:munge /run/munge /var/lib/munge /var/log/munge
  if ! [ -S /run/munge/munge.socket.2 ] || ! munge -n >/dev/null 2>&1; then
    # munged runs as the munge user, so its pid file goes where that user can write.
    su -s /bin/sh munge -c "munged --pid-file=/run/munge/ranklab-munged.pid"
  fi
  cat >"$conf" <<CONF
ClusterName=ranklab
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
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
  for _ in $(seq 1 50); do
    if sinfo -h -o %T 2>/dev/null | grep -q idle; then
      echo "slurm up: export SLURM_CONF=$conf"
      return 0
    fi
    sleep 0.2
  done
  echo "slurm did not come up; see $dir/log/" >&2
  return 1
}

stop() {
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" /run/munge/ranklab-munged.pid; do
    if [ -s "$pidfile" ]; then
      kill "$(cat "$pidfile")" 2>/dev/null || true
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
