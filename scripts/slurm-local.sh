#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for the Slurm sweep test and for trying
# `lth sweep --backend slurm` without a real cluster. Needs root (Debian/Ubuntu).
#   scripts/slurm-local.sh start    # installs slurm-wlm when missing, writes /etc/slurm/slurm.conf,
#                                   # starts munged, slurmctld and slurmd, waits until the node is idle
#   scripts/slurm-local.sh stop     # ends the daemons that start began (by their process ids)
#   scripts/slurm-local.sh status   # prints whether they run; exit 0 when all run
# State, spool, logs and pid files live under $LTH_SLURM_DIR (default /var/lib/lth-slurm).
# start is idempotent: a running cluster with the same slurm.conf is left as it is. A munged
# that already answers (a system service) is used and left running by stop.
# A task requeued with `scontrol requeue` starts again after about 12 s here: its begin time is
# set cred_expire (10 s, LTH_SLURM_REQUEUE_DELAY) ahead, then the next scheduling pass (every
# 2 s) starts it. Slurm's defaults are 120 s and 60 s, as on most real clusters.
set -euo pipefail

dir=${LTH_SLURM_DIR:-/var/lib/lth-slurm}
conf=/etc/slurm/slurm.conf
# the first line of every slurm.conf this script writes; a slurm.conf without it is not ours
marker="# written by lth4j scripts/slurm-local.sh"
partition=lth
daemons=(slurmd slurmctld munged)

say() { echo "slurm-local: $*"; }
fail() { echo "slurm-local: cannot $action: $*" >&2; exit 1; }

# The pid in run/NAME.pid when that process is alive and is NAME (a recycled pid is not ours).
live_pid() {
  local name=$1 file="$dir/run/$1.pid" pid
  [[ -r $file ]] || return 1
  pid=$(tr -dc 0-9 <"$file")
  [[ -n $pid && -r /proc/$pid/comm && $(cat "/proc/$pid/comm" 2>/dev/null) == "$name" ]] || return 1
  echo "$pid"
}

join() {
  local first=$1
  shift
  printf '%s' "$first" && printf ', %s' "$@"
}

node_state() { sinfo -h -N -n "$node" -o %T 2>/dev/null | head -n 1; }

munge_works() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }

install_packages() {
  local missing=()
  for tool in munged mungekey slurmctld slurmd sbatch squeue scontrol sinfo; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  ((${#missing[@]} == 0)) && return 0
  command -v apt-get >/dev/null || fail "${missing[*]} not found and apt-get is not available; install slurm-wlm"
  echo "slurm-local: installing slurm-wlm (missing: ${missing[*]})" >&2
  mkdir -p "$dir"
  if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm; } \
      >"$dir/apt.log" 2>&1; then
    fail "apt-get install slurm-wlm failed: $(tail -n 1 "$dir/apt.log") (see $dir/apt.log)"
  fi
  for tool in "${missing[@]}"; do
    command -v "$tool" >/dev/null || fail "$tool still not found after installing slurm-wlm"
  done
}

# The slurm.conf for this machine: one node with all its CPUs, memory from /proc/meminfo less a
# margin for the system, one default partition without a time limit.
config() {
  local cpus mem_kb mem_mb
  cpus=$(nproc)
  mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
  mem_mb=$((mem_kb / 1024))
  mem_mb=$((mem_mb - (mem_mb / 10 > 512 ? mem_mb / 10 : 512)))
  ((mem_mb > 0)) || mem_mb=1
  cat <<EOF
$marker
ClusterName=lth
# addresses given, so that a host name without a DNS or /etc/hosts entry works too
SlurmctldHost=$node(127.0.0.1)
AuthType=auth/munge
# a requeued job waits cred_expire seconds before it may start again (default 120)
AuthInfo=cred_expire=${LTH_SLURM_REQUEUE_DELAY:-10}
# a pending job whose begin time passed starts at the next scheduling pass (default every 60 s)
SchedulerParameters=sched_interval=2,bf_interval=2
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmUser=root
SlurmdUser=root
ReturnToService=2
JobRequeue=1
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=$partition Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
}

# Waits up to 30 s for the node to take jobs; a node left down or drained by an earlier run is resumed.
await_node() {
  local state="" resumed=0
  for _ in $(seq 60); do
    state=$(node_state)
    case $state in
      idle | mixed | allocated | completing) echo "$state"; return 0 ;;
      down* | drain* | fail*)
        if ((resumed == 0)); then
          scontrol update NodeName="$node" State=RESUME >/dev/null 2>&1 || true
          resumed=1
        fi ;;
    esac
    sleep 0.5
  done
  fail "node $node is not idle after 30 s (state: ${state:-unknown}; see $dir/log/slurmctld.log and $dir/log/slurmd.log)"
}

# Starts DAEMON (it forks) and waits for the pid file it writes.
start_daemon() {
  local name=$1
  shift
  rm -f "$dir/run/$name.pid"
  "$@" >>"$dir/log/$name.start.log" 2>&1 || fail "$name did not start: $(tail -n 1 "$dir/log/$name.start.log")"
  for _ in $(seq 50); do
    live_pid "$name" >/dev/null && return 0
    sleep 0.2
  done
  fail "$name did not stay up (see $dir/log/$name.log)"
}

start_munge() {
  install -d -o munge -g munge -m 0755 /run/munge
  install -d -o munge -g munge -m 0700 /var/log/munge /etc/munge
  install -d -o munge -g munge -m 0711 /var/lib/munge
  if [[ ! -s /etc/munge/munge.key ]]; then
    mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null \
      || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  chown munge:munge /etc/munge/munge.key
  chmod 0400 /etc/munge/munge.key
  # a munged that already answers (a system service) is used as it is, and never stopped here
  munge_works && return 0
  rm -f /run/munge/munged.pid
  runuser -u munge -- munged --pid-file=/run/munge/munged.pid \
    || fail "munged did not start (see /var/log/munge/munged.log)"
  for _ in $(seq 50); do
    if munge_works && [[ -s /run/munge/munged.pid ]]; then
      cp /run/munge/munged.pid "$dir/run/munged.pid"
      return 0
    fi
    sleep 0.2
  done
  fail "munged does not answer (see /var/log/munge/munged.log)"
}

do_stop() {
  local stopped=() pid
  # jobs still running would outlive slurmd (proctrack/linuxproc): cancel them first
  if live_pid slurmctld >/dev/null; then
    scancel --partition=lth >/dev/null 2>&1 || true
  fi
  for name in "${daemons[@]}"; do
    if pid=$(live_pid "$name"); then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do
        [[ -d /proc/$pid ]] || break
        sleep 0.2
      done
      [[ -d /proc/$pid ]] && kill -KILL "$pid" 2>/dev/null || true
      stopped+=("$name ($pid)")
    fi
    rm -f "$dir/run/$name.pid"
  done
  # the configuration points at $dir; it goes with the cluster, unless someone else wrote it
  if [[ -f $conf ]] && [[ $(head -n 1 "$conf") == "$marker" ]]; then
    rm -f "$conf"
  fi
  if ((${#stopped[@]} > 0)); then
    say "stopped $(join "${stopped[@]}")"
  else
    say "not running"
  fi
}

summary() {
  local pids=() pid
  for name in munged slurmctld slurmd; do
    if pid=$(live_pid "$name"); then pids+=("$name $pid"); else pids+=("$name (not started here)"); fi
  done
  echo "node $node $1 in partition $partition ($(nproc) CPUs); $(join "${pids[@]}"); $conf, state in $dir"
}

do_start() {
  [[ $EUID -eq 0 ]] || fail "must run as root (it installs packages and starts munged, slurmctld, slurmd)"
  install_packages
  node=$(hostname -s)
  local wanted running=1 state pid
  wanted=$(config)
  for name in slurmctld slurmd; do live_pid "$name" >/dev/null || running=0; done
  if ((running)) && [[ -f $conf && "$(cat "$conf")" == "$wanted" ]] && munge_works; then
    state=$(await_node)
    say "already running: $(summary "$state")"
    return 0
  fi
  if [[ -f $conf ]] && [[ $(head -n 1 "$conf") != "$marker" ]]; then
    fail "$conf exists and was not written by this script; move it away first"
  fi
  do_stop >/dev/null
  for name in slurmctld slurmd; do
    if pid=$(pgrep -x "$name" | head -n 1); then
      fail "a $name this script did not start is running (pid $pid); stop it first"
    fi
  done
  mkdir -p "$dir"/{state,spool,log,run} /etc/slurm
  start_munge
  printf '%s\n' "$wanted" >"$conf.tmp"
  mv "$conf.tmp" "$conf"
  start_daemon slurmctld slurmctld
  start_daemon slurmd slurmd
  state=$(await_node)
  say "started: $(summary "$state")"
}

status() {
  local missing=()
  for name in slurmctld slurmd; do live_pid "$name" >/dev/null || missing+=("$name"); done
  if ((${#missing[@]} == 0)); then
    node=$(hostname -s)
    say "running: $(summary "$(node_state)")"
  else
    say "not running (no ${missing[*]} started by this script)"
    return 3
  fi
}

action=${1:-}
case $action in
  start) do_start ;;
  stop) do_stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
