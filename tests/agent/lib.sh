# SPDX-License-Identifier: MIT
# Shared by tests/e2e/test-agent-*.sh: start the test receiver (receiver.py), the
# agent and the ground-truth workload, wait with bounds, clean up what was
# started (by pid, never by name), and check the books with check.py.
# Loopback only. Sourced, not run.
set -u
OUT=${OUT:-build}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=$(cd "$ROOT" && mkdir -p "$OUT" && cd "$OUT" && pwd)
CPROF=$OUT/cprof
WORK=$OUT/fixtures/work
PY=/usr/bin/python3		# Debian's python3-protobuf lives there, not in a pyenv
PYMOD=$OUT/tests/agent/py
T=$(mktemp -d "${TMPDIR:-/tmp}/cprof-agent-test.XXXXXX")
PIDS=()
# A command prefix for the receiver and the agent, e.g. RUN_IN=(ip netns exec NS)
# to run both in a network namespace; it must exec, so that $! is the process.
RUN_IN=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for p in ${CLEANUP_CGROUPS:-}; do rmdir "$p" 2>/dev/null; done
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
note() { echo "== $*"; }

require_bpf() {
	[ "$(id -u)" = 0 ] || skip "needs root for BPF"
	[ -r /sys/kernel/btf/vmlinux ] || skip "no BTF (/sys/kernel/btf/vmlinux)"
	[ -x "$CPROF" ] || fail "$CPROF is not built"
}

require_receiver() {
	"$PY" -c 'import google.protobuf' 2>/dev/null || skip "python3-protobuf is not installed (make deps)"
	command -v protoc >/dev/null || skip "protoc is not installed (make deps)"
	command -v zstd >/dev/null || skip "zstd is not installed (make deps)"
	local stamp=$PYMOD/.stamp newest
	newest=$(find "$ROOT/tests/agent/proto" -name '*.proto' -newer "$stamp" 2>/dev/null | head -n1)
	if [ ! -e "$stamp" ] || [ -n "$newest" ]; then
		rm -rf "$PYMOD" && mkdir -p "$PYMOD"
		(cd "$ROOT/tests/agent/proto" && protoc --python_out="$PYMOD" -I . \
			$(find . -name '*.proto' | sed 's|^\./||')) || fail "protoc failed"
		touch "$stamp"
	fi
}

free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_receiver NAME BACKEND PORT [receiver options...]: output in $T/NAME
start_receiver() {
	local name=$1 backend=$2 port=$3; shift 3
	mkdir -p "$T/$name"
	rm -f "$T/$name/port"
	"${RUN_IN[@]}" "$PY" "$ROOT/tests/agent/receiver.py" --backend "$backend" --out "$T/$name" \
		--pymod "$PYMOD" --port "$port" --port-file "$T/$name/port" --max-seconds 300 "$@" \
		>"$T/$name/receiver.log" 2>&1 &
	PIDS+=($!)
	RECEIVER_PID=$!
	wait_for 10 "[ -s '$T/$name/port' ]" || { cat "$T/$name/receiver.log"; fail "receiver $name did not start"; }
}

stop_pid() {
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# start_agent LOG [agent options...]
start_agent() {
	local log=$1; shift
	"${RUN_IN[@]}" "$CPROF" agent -v "$@" >"$log" 2>&1 &
	PIDS+=($!)
	AGENT_PID=$!
	wait_for 20 "grep -qs 'sampling ' '$log'" || { cat "$log"; fail "the agent did not start"; }
}

# stop_agent PID LOG: SIGTERM, then the exit status must be 0 within 30 s
stop_agent() {
	local pid=$1 log=$2 i rc
	kill -TERM "$pid"
	for i in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && { cat "$log"; fail "the agent did not exit within 30 s of SIGTERM"; }
	wait "$pid"; rc=$?
	[ "$rc" = 0 ] || { cat "$log"; fail "the agent exited $rc after SIGTERM"; }
}

start_work() {
	"$WORK" "$1" >/dev/null 2>&1 &
	PIDS+=($!)
	WORK_PID=$!
}

# wait_for SECS COMMAND: polls COMMAND every 0.1 s
wait_for() {
	local deadline=$(( $(date +%s%N) + $1 * 1000000000 ))
	while ! eval "$2"; do
		[ "$(date +%s%N)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

windows_logged() { cat "$1" 2>/dev/null | grep -c 'window [0-9]*:'; }
# requests the receiver answered with a success (ok or delay)
answered() { cat "$1/requests.jsonl" 2>/dev/null | grep -c '"action": "\(ok\|delay\)"'; }

check() { "$PY" "$ROOT/tests/agent/check.py" "$@" || fail "check failed"; }

# pprof_pids FILE: "PID SAMPLES" per pid label of a (gzipped) pprof, and
# "total SAMPLES"; needs require_receiver (the pprof module)
pprof_pids() {
	"$PY" - "$PYMOD" "$1" <<'EOF'
import collections, gzip, sys
sys.path.insert(0, sys.argv[1])
import pprof_pb2
p = pprof_pb2.Profile()
p.ParseFromString(gzip.open(sys.argv[2]).read())
st, by, total = p.string_table, collections.Counter(), 0
for s in p.sample:
    total += s.value[0]
    for l in s.label:
        if st[l.key] == 'pid':
            by[l.num] += s.value[0]
for pid, n in sorted(by.items()):
    print(pid, n)
print('total', total)
EOF
}

# pid_samples PID FILE: the samples of PID in the output of pprof_pids
pid_samples() { awk -v p="$1" '$1 == p { n = $2 } END { print n + 0 }' "$2"; }

metric_value() {	# metric_value URL NAME: the value of an unlabelled or labelled series
	curl -s --max-time 5 "$1" | awk -v n="$2" '$1 == n { print $2; exit }'
}

# bpf_maps_of PID NAME...: the ids of PID's BPF maps of those names, found by
# the ids in its own fdinfo (not by name alone: other cprofs may run beside)
bpf_maps_of() {
	local pid=$1 fi id name n
	shift
	for fi in /proc/"$pid"/fdinfo/*; do
		id=$(sed -n 's/^map_id:[[:space:]]*//p' "$fi" 2>/dev/null)
		[ -n "$id" ] || continue
		name=$(bpftool map show id "$id" 2>/dev/null | sed -n 's/.* name \([^ ]*\) .*/\1/p')
		for n in "$@"; do [ "$name" = "$n" ] && echo "$id"; done
	done | sort -u
}
