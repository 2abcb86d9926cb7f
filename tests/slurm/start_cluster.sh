#!/usr/bin/env bash
# Start a one-node SLURM cluster on this machine for the slurm test tier.
#
# Installs Debian's slurm-wlm and munge when they are missing, writes /etc/slurm/slurm.conf
# for this host (its hostname, CPU count and memory; no accounting; proctrack/task plugins
# that need no cgroups, so it runs inside a container), creates the munge key if there is
# none, starts munged, slurmctld and slurmd, and waits until `sinfo` shows the node up.
#
# Idempotent: with the daemons already running on the same configuration it only checks
# the node; when the configuration changed it restarts slurmctld and slurmd.
# Needs root. Exits non-zero with diagnostics when the cluster cannot be started.
set -euo pipefail

CONF_DIR=/etc/slurm
CONF=$CONF_DIR/slurm.conf
LOG_DIR=/var/log/slurm
CTLD_PID=/run/slurmctld.pid
SLURMD_PID=/run/slurmd.pid
WAIT_S=${SLURM_START_WAIT_S:-60}

log() { echo "[start_cluster] $*" >&2; }

diagnostics() {
    log "--- diagnostics ---"
    for cmd in "sinfo -N -l" "scontrol show node" "munge -n"; do
        log "\$ $cmd"
        timeout 10 $cmd >&2 2>&1 || true
    done
    for f in "$LOG_DIR/slurmctld.log" "$LOG_DIR/slurmd.log" /var/log/munge/munged.log \
             /tmp/slurm_start_apt.log; do
        if [ -f "$f" ]; then
            log "--- last lines of $f"
            tail -n 30 "$f" >&2 || true
        fi
    done
    log "\$ ps (munged, slurmctld, slurmd)"
    ps -eo pid,user,args | grep -E '[m]unged|[s]lurmctld|[s]lurmd' >&2 || true
}

fail() {
    log "ERROR: $*"
    diagnostics
    exit 1
}

if [ "$(id -u)" -ne 0 ]; then
    echo "[start_cluster] ERROR: starting a SLURM cluster needs root (running as $(id -un))" >&2
    exit 1
fi

# --- packages ---------------------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
        || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    command -v apt-get >/dev/null || fail "slurm-wlm/munge are missing and apt-get is not available"
    log "installing slurm-wlm and munge with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    pkgs=(slurm-wlm munge)
    if ! apt-get install -y --no-install-recommends "${pkgs[@]}" >/tmp/slurm_start_apt.log 2>&1; then
        log "apt-get install failed; running apt-get update and retrying"
        apt-get update >>/tmp/slurm_start_apt.log 2>&1 || fail "apt-get update failed"
        apt-get install -y --no-install-recommends "${pkgs[@]}" >>/tmp/slurm_start_apt.log 2>&1 \
            || fail "apt-get install ${pkgs[*]} failed"
    fi
fi

# --- munge ------------------------------------------------------------------------------
mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
chown munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge
chmod 0700 /etc/munge /var/log/munge
chmod 0755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
    log "creating the munge key"
    if command -v mungekey >/dev/null; then
        runuser -u munge -- mungekey --create --keyfile=/etc/munge/munge.key
    else
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
    fi
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key

if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    log "starting munged"
    rm -f /run/munge/munged.pid
    runuser -u munge -- /usr/sbin/munged || fail "munged did not start"
    for _ in $(seq 50); do
        munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
        sleep 0.1
    done
    munge -n | unmunge >/dev/null 2>&1 || fail "munge does not answer"
fi

# --- slurm.conf -------------------------------------------------------------------------
HOST=$(hostname -s)
NCPU=$(nproc)
# slurmd -C reports this machine's topology and memory; keep its topology only when it
# agrees with the CPUs this process may use (a container can be limited to fewer).
HW=$(slurmd -C 2>/dev/null | head -n 1 || true)
MEM=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$HW")
[ -n "$MEM" ] || MEM=$(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo)
HW_CPUS=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$HW")
if [ "$HW_CPUS" = "$NCPU" ]; then
    TOPO=$(grep -o 'CPUs=.*ThreadsPerCore=[0-9]*' <<<"$HW")
else
    TOPO="CPUs=$NCPU"
fi

NEW_CONF=$(mktemp)
trap 'rm -f "$NEW_CONF"' EXIT
cat >"$NEW_CONF" <<EOF
# Written by tests/slurm/start_cluster.sh: a one-node test cluster, no accounting.
ClusterName=neurodyn
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
MpiDefault=none
SwitchType=switch/none
# No cgroups: these plugins work inside a container.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Finished jobs stay visible to squeue for 5 minutes (the status query of the
# Snakemake slurm executor when there is no accounting).
MinJobAge=300
ReturnToService=2
SlurmdParameters=config_overrides
SlurmdTimeout=300
InactiveLimit=0
KillWait=5
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
NodeName=$HOST NodeAddr=127.0.0.1 $TOPO RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF

mkdir -p "$CONF_DIR" "$LOG_DIR" /var/spool/slurmctld /var/spool/slurmd

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_daemon() {  # pidfile
    if pid_alive "$1"; then
        local pid
        pid=$(cat "$1")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$1"
}

if ! cmp -s "$NEW_CONF" "$CONF"; then
    log "writing $CONF ($HOST: $TOPO RealMemory=$MEM)"
    if pid_alive "$CTLD_PID" || pid_alive "$SLURMD_PID"; then
        log "configuration changed: restarting slurmctld and slurmd"
        stop_daemon "$SLURMD_PID"
        stop_daemon "$CTLD_PID"
    fi
    install -m 0644 "$NEW_CONF" "$CONF"
fi

# --- daemons ----------------------------------------------------------------------------
if ! pid_alive "$CTLD_PID"; then
    log "starting slurmctld"
    /usr/sbin/slurmctld || fail "slurmctld did not start"
fi
for _ in $(seq 100); do
    scontrol ping 2>/dev/null | grep -q 'is UP' && break
    sleep 0.2
done
scontrol ping 2>/dev/null | grep -q 'is UP' || fail "slurmctld does not answer"

if ! pid_alive "$SLURMD_PID"; then
    log "starting slurmd"
    /usr/sbin/slurmd || fail "slurmd did not start"
fi

# --- wait for the node ------------------------------------------------------------------
deadline=$((SECONDS + WAIT_S))
state=""
while [ $SECONDS -lt $deadline ]; do
    state=$(sinfo -h -n "$HOST" -o '%t' 2>/dev/null | head -n 1 || true)
    case "$state" in
        idle|mix|alloc|comp)
            log "node $HOST is $state"
            sinfo -N -o '%N %t %c %m' >&2
            exit 0 ;;
        drain*|drng|down*|fail*)
            # left over from an earlier run (e.g. a restart with another configuration)
            scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    sleep 0.5
done
fail "node $HOST did not become idle within ${WAIT_S}s (state: '${state:-unknown}')"
