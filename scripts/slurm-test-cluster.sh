#!/usr/bin/env bash
# slurm-test-cluster.sh start|stop|status: a single-node Slurm cluster on
# this machine, for the Slurm test of gradbench sweep (cmd/gradbench/slurm_test.go).
#
#   start   installs slurm-wlm and munge with apt-get if missing (needs root),
#           creates a munge key if missing, writes $DIR/slurm.conf for this
#           host (one node: this host's short name, CPUs from nproc,
#           RealMemory 90% of the available memory), starts munged, slurmctld
#           and slurmd, and waits until sinfo shows the node idle. If the
#           cluster is already up it does nothing.
#   stop    stops the daemons that start started (by their recorded pids).
#   status  exits 0 when slurmctld answers and the node is usable.
#
# DIR is $GRADBENCH_SLURM_DIR, default /tmp/gradbench-slurm. It holds the
# configuration, the daemons' state, pid files and logs. Slurm's commands
# find the cluster through SLURM_CONF=$DIR/slurm.conf, which start prints
# on its last line.
#
# The configuration needs no cgroups, no systemd and no accounting
# database, so that it runs in containers and sandboxes:
# ProctrackType=proctrack/linuxproc, TaskPlugin=task/none,
# AccountingStorageType=accounting_storage/none,
# JobAcctGatherType=jobacct_gather/none. Without accounting, sacct does
# not work; gradbench sweep status reads squeue and the run directories.
set -euo pipefail

DIR=${GRADBENCH_SLURM_DIR:-/tmp/gradbench-slurm}
CONF=$DIR/slurm.conf
export SLURM_CONF=$CONF
HOST=$(hostname -s)

log() { echo "slurm-test-cluster: $*" >&2; }
die() {
	log "$*"
	for f in "$DIR/slurmctld.log" "$DIR/slurmd.log"; do
		if [[ -s $f ]]; then
			echo "--- last lines of $f:" >&2
			tail -n 25 "$f" >&2
		fi
	done
	exit 1
}

# alive PIDFILE: whether the process whose pid PIDFILE holds is running.
alive() { [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

node_state() { sinfo -h -n "$HOST" -o %T 2>/dev/null | head -n 1; }

up() {
	[[ -f $CONF ]] && scontrol ping 2>/dev/null | grep -q UP || return 1
	case $(node_state) in
	idle* | mixed* | allocated* | completing*) return 0 ;;
	esac
	return 1
}

install() {
	local missing=()
	command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null || missing+=(slurm-wlm)
	command -v munged >/dev/null || missing+=(munge)
	((${#missing[@]} == 0)) && return
	[[ $(id -u) == 0 ]] || die "needs root to install ${missing[*]} (apt-get)"
	log "installing ${missing[*]}"
	apt-get -o DPkg::Lock::Timeout=600 update -qq
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

start_munge() {
	if [[ ! -s /etc/munge/munge.key ]]; then
		log "creating a munge key"
		mkdir -p /etc/munge
		if command -v mungekey >/dev/null; then
			mungekey --create --keyfile=/etc/munge/munge.key
		else
			dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
		fi
		chown munge:munge /etc/munge/munge.key
		chmod 0400 /etc/munge/munge.key
	fi
	if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
		return # a munged is running already: not ours to stop
	fi
	mkdir -p /run/munge /var/lib/munge /var/log/munge
	chown munge:munge /run/munge /var/lib/munge /var/log/munge
	chmod 0755 /run/munge
	runuser -u munge -- /usr/sbin/munged ||
		die "munged did not start (see /var/log/munge/munged.log)"
	for _ in $(seq 50); do
		if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
			# munged (running as munge) writes its pid file under /run/munge.
			cp /run/munge/munged.pid "$DIR/munged.pid"
			touch "$DIR/munged.ours"
			return
		fi
		sleep 0.2
	done
	die "munged does not answer: munge -n | unmunge fails (see /var/log/munge/munged.log)"
}

write_conf() {
	local cpus mem
	cpus=$(nproc)
	mem=$(awk '/^MemAvailable:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
	mkdir -p "$DIR/state" "$DIR/spool"
	cat >"$CONF" <<EOF
# Written by scripts/slurm-test-cluster.sh: a one-node test cluster.
ClusterName=gradbench
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
# Finished jobs stay visible to squeue for this many seconds.
MinJobAge=600
KillWait=10
SlurmdTimeout=60
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
}

start() {
	install
	mkdir -p "$DIR"
	if up; then
		log "a cluster is already up ($CONF)"
		echo "SLURM_CONF=$CONF"
		return
	fi
	start_munge
	write_conf
	if ! alive "$DIR/slurmctld.pid"; then
		rm -f "$DIR/slurmctld.log"
		# -c: start from an empty state (no jobs of an earlier run).
		slurmctld -c -f "$CONF" || die "slurmctld did not start"
	fi
	if ! alive "$DIR/slurmd.pid"; then
		rm -f "$DIR/slurmd.log"
		slurmd -f "$CONF" || die "slurmd did not start"
	fi
	local state=""
	for _ in $(seq 120); do
		state=$(node_state)
		case $state in
		idle*) break ;;
		down* | drain* | fail*) scontrol update nodename="$HOST" state=resume 2>/dev/null || true ;;
		esac
		sleep 0.5
	done
	[[ $state == idle* ]] || die "node $HOST is not idle after 60 s (state: ${state:-no answer from sinfo})"
	log "up: node $HOST idle, $(nproc) CPUs"
	echo "SLURM_CONF=$CONF"
}

stop() {
	local f pid
	for f in slurmd slurmctld; do
		if alive "$DIR/$f.pid"; then
			pid=$(cat "$DIR/$f.pid")
			kill "$pid"
			for _ in $(seq 50); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.2
			done
			kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
			log "stopped $f ($pid)"
		fi
	done
	if [[ -f $DIR/munged.ours ]] && alive "$DIR/munged.pid"; then
		pid=$(cat "$DIR/munged.pid")
		kill "$pid"
		log "stopped munged ($pid)"
	fi
	rm -f "$DIR/munged.ours"
}

case ${1:-} in
start) start ;;
stop) stop ;;
status)
	if up; then
		echo "up: $(node_state), SLURM_CONF=$CONF"
	else
		echo "down"
		exit 1
	fi
	;;
*)
	echo "usage: $0 start|stop|status" >&2
	exit 2
	;;
esac
