#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `cprof agent --net`: the network profile as one more delta per window, to
# every backend. Two network namespaces joined by a veth pair, set up as
# tests/e2e/test-net.sh does (10.77.0.0/24, fd77::/64; no traffic leaves them);
# the receiver and the agent (-i 1) run in namespace A, on its loopback, and
# count vnA. tests/fixtures/net_send sends exact UDP traffic in two windows:
# 50 x 100 bytes A -> B to port 9000 (egress: 50 packets, 7100 bytes), then
# 30 x 200 bytes B -> A to port 9001 (ingress: 30, 7260; with --net-xdp the
# same again as xdp). For Pyroscope (--net-xdp, metrics), Parca (net in the
# config file), OTLP (packets and bytes as two profiles) and file:// the
# receiver decodes the network deltas (__name__=net, service_name=network,
# sample types, stack, labels), the flows summed over all network deltas are
# exact, there are at least two of them, they add up to the agent's
# "window N: net:" lines, go tool pprof reads them, and the CPU deltas still
# pass the sample accounting. A detach by someone else is logged and makes
# the exit status 1. After SIGTERM no classifier, clsact qdisc or
# XDP program of cprof is left on vnA. Needs root; exits 77 with SKIP otherwise.
. "$(dirname "$0")/../agent/lib.sh"
require_bpf
require_receiver
SEND=$OUT/fixtures/net_send SUM=$OUT/fixtures/net_sum
for f in "$SEND" "$SUM"; do [ -x "$f" ] || fail "$f is not built"; done
A=cprof-aga-$$ B=cprof-agb-$$

ip netns add "$A" 2>/dev/null || skip "cannot create network namespaces"
net_cleanup() {
	cleanup		# lib.sh's: the processes it started, then $T
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
}
trap net_cleanup EXIT
ip netns add "$B" || fail "cannot create namespace $B"

# --- the namespaces: vnA in A, vnB in B (tests/veth-pair.sh) ---------------
. "$(dirname "$0")/../veth-pair.sh"
veth_pair "$A" "$B" || fail "creating the veth pair"

# The receiver and the agent run in A (ip netns exec execs: $! is the process).
RUN_IN=(ip netns exec "$A")

# --- helpers ---------------------------------------------------------------------
clsacts() { tc -n "$A" qdisc show dev vnA | grep -c clsact; }
xdp_progs() { ip -n "$A" -d link show dev vnA | grep -c 'prog/xdp'; }
cpu_windows() { cat "$1" 2>/dev/null | grep -c 'window [0-9]*: [0-9]* samples'; }
net_windows() { cat "$1" 2>/dev/null | grep -c 'window [0-9]*: net:'; }
expect() {	# what got want
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
	echo "ok   $1: $2"
}

udp_flow() {	# from-ns to-ns dst port count size sport
	local rdy=$T/rdy.$RANDOM sink
	ip netns exec "$2" "$SEND" udp-sink "$3" "$4" "$5" "$rdy" >"$T/sink.out" 2>&1 &
	sink=$!
	wait_for 10 "[ -e '$rdy' ]" || fail "the udp sink did not start: $(cat "$T/sink.out")"
	ip netns exec "$1" "$SEND" udp "$3" "$4" "$5" "$6" "$7" || fail "udp send"
	wait "$sink" || fail "the sink did not receive $5 datagrams: $(cat "$T/sink.out")"
}

# net_run NAME URL [agent options...]: the agent on vnA in A with the CPU
# workload running, the two flows in two windows, SIGTERM, cleanup checked.
net_run() {
	local name=$1 url=$2 log=$T/$1.log n; shift 2
	expect "$name: no clsact on vnA before" "$(clsacts)" 0
	start_work 8
	start_agent "$log" --url "$url" -i 1 -F 19 --label env=nettest "$@"
	wait_for 10 '[ "$(cprof_filters ingress) $(cprof_filters egress)" = "1 1" ]' ||
		{ cat "$log"; fail "$name: the agent did not attach to vnA"; }
	udp_flow "$A" "$B" 10.77.0.2 9000 50 100 40001
	sleep 1.5	# windows of 1 s: the second flow is in a later window
	udp_flow "$B" "$A" 10.77.0.1 9001 30 200 40002
	n=$(cpu_windows "$log")
	wait_for 5 "[ \$(cpu_windows '$log') -gt $n ]" || fail "$name: no window after the traffic"
	[ -n "${BEFORE_STOP:-}" ] && eval "$BEFORE_STOP"
	stop_agent "$AGENT_PID" "$log"
	stop_pid "$WORK_PID"
	expect "$name: cprof classifiers left on vnA (ingress, egress)" \
		"$(cprof_filters ingress) $(cprof_filters egress)" "0 0"
	expect "$name: clsact qdiscs left on vnA" "$(clsacts)" 0
	expect "$name: XDP programs left on vnA" "$(xdp_progs)" 0
	expect "$name: window lines with net (at least 2)" "$(( $(net_windows "$log") >= 2 ))" 1
}
FLOWS=(--net-flow "egress 9000=50 7100" --net-flow "ingress 9001=30 7260")
NOXDP=(--net-flow "xdp 9001=0 0" --net-flow "egress 9001=0 0" --net-flow "ingress 9000=0 0")
host=$(hostname)

note "pyroscope: --net-xdp, __name__=net beside process_cpu, metrics"
port=$(free_port)
mport=$(free_port)
start_receiver pyro pyroscope "$port"
BEFORE_STOP='
	expect "pyro: XDP attached while running" "$(xdp_progs)" 1
	m=$("${RUN_IN[@]}" curl -s --max-time 5 "http://127.0.0.1:$mport/metrics")
	for k in packets_total bytes_total profiles_total lost_packets_total; do
		grep -Eq "^cprof_net_$k " <<<"$m" ||
			fail "no cprof_net_$k in the metrics: $(grep net_ <<<"$m")"
	done
	v=$(awk "\$1 == \"cprof_net_packets_total\" { print \$2 }" <<<"$m")
	expect "pyro: net_packets_total >= 80 (50 out, 30 in)" \
		"$(awk -v v="$v" "BEGIN { print (v >= 80) }")" 1
	expect "pyro: net_lost_packets_total" \
		"$(awk "\$1 == \"cprof_net_lost_packets_total\" { print \$2 }" <<<"$m")" 0'
net_run pyro "pyroscope://127.0.0.1:$port" --net vnA --net-xdp --metrics-addr "127.0.0.1:$mport"
BEFORE_STOP=
check --out "$T/pyro" --agent-log "$T/pyro.log" --service work --leaf hot_a --min-deltas 2 \
	"${FLOWS[@]}" --net-flow "xdp 9001=30 7260" --net-flow "xdp 9000=0 0" --min-net-deltas 2 \
	--net-label __name__=net --net-label service_name=network --net-label env=nettest \
	--net-label "hostname=$host" --net-go-pprof 9000/udp
"$PY" - "$T/pyro/deliveries.jsonl" <<'EOF' || fail "pyroscope: CPU series are not process_cpu"
import json, sys
ds = [json.loads(l) for l in open(sys.argv[1])]
cpu = {d['labels'].get('__name__') for d in ds if d['kind'] == 'cpu'}
assert cpu == {'process_cpu'}, cpu
EOF
stop_pid "$RECEIVER_PID"

note "parca: net from the config file, no XDP"
port=$(free_port)
start_receiver parca parca "$port"
printf 'net = vnA\nnet-xdp = false\n' >"$T/parca.conf"
net_run parca "parca://127.0.0.1:$port" --config "$T/parca.conf"
check --out "$T/parca" --agent-log "$T/parca.log" --service work --leaf hot_a \
	"${FLOWS[@]}" "${NOXDP[@]}" --min-net-deltas 2 --net-label __name__=net \
	--net-label service_name=network --net-label "hostname=$host" --net-go-pprof 9000/udp
stop_pid "$RECEIVER_PID"

note "otlp: packets and bytes as two profiles of one delta"
port=$(free_port)
start_receiver otlp otlp "$port"
net_run otlp "otlp://127.0.0.1:$port" --net vnA
check --out "$T/otlp" --agent-log "$T/otlp.log" --service work --leaf hot_a \
	"${FLOWS[@]}" "${NOXDP[@]}" --min-net-deltas 2 --net-label __name__= \
	--net-label service_name=network --net-label env=nettest --net-label "hostname=$host"
stop_pid "$RECEIVER_PID"

note "file://: network.TIME.ID.pb.gz files"
D=$T/files
net_run file "file://$D" --net vnA --net-xdp
ls -a "$D" | grep -q '\.tmp$' && fail "temporary files left in $D"
nets=$(ls "$D" | grep -E '^network\.[0-9]{8}T[0-9]{6}Z\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.pb\.gz$')
expect "file: network files (at least 2)" "$(( $(wc -l <<<"$nets") >= 2 ))" 1
[ "$(ls "$D" | grep -c '^network\.')" = "$(wc -l <<<"$nets")" ] ||
	fail "network files not named network.YYYYmmddTHHMMSSZ.UUID.pb.gz: $(ls "$D")"
ls "$D" | grep -q '^work\..*\.pb\.gz$' || fail "no CPU profile of work beside them: $(ls "$D")"
fsum() {	# fsum KEY=VALUE...: "PACKETS BYTES" over every network file
	local f
	for f in $nets; do "$SUM" "$D/$f" "$@" || fail "net_sum $f"; done |
		awk '{ p += $1; b += $2 } END { print p + 0, b + 0 }'
}
expect "file: udp egress to port 9000" "$(fsum direction=egress port=9000)" "50 7100"
expect "file: udp egress stack" "$(fsum stack='net;vnA;egress;udp;9000/udp')" "50 7100"
expect "file: udp ingress to port 9001" "$(fsum direction=ingress port=9001)" "30 7260"
expect "file: udp to port 9001 seen by XDP" "$(fsum direction=xdp port=9001)" "30 7260"
expect "file: udp egress by process" "$(fsum direction=egress port=9000 comm=net_send)" "50 7100"
logged=$(grep -o 'window [0-9]*: net: [0-9]* packets, [0-9]* bytes in [0-9]* profiles' "$T/file.log" |
	awk '{ p += $4; b += $6; n += $9 } END { print p + 0, b + 0, n + 0 }')
expect "file: network files hold what the agent logged (packets bytes profiles)" \
	"$(fsum) $(wc -l <<<"$nets")" "$logged"
for f in $nets; do
	"$SUM" "$D/$f" --dump >/dev/null || fail "net_sum cannot read $f"
done
top=$(cd "$D" && HOME=$T GOFLAGS= go tool pprof -symbolize=none -sample_index=bytes -top $nets 2>&1) ||
	{ echo "$top"; fail "go tool pprof cannot read the network files"; }
expect "file: go tool pprof -top names the flow" "$(grep -c '9000/udp' <<<"$top")" 1

note "someone else detaches the agent's ingress program: logged, exit 1"
start_agent "$T/detach.log" --url "file://$T/detach" -i 1 -F 19 --net vnA
wait_for 10 '[ "$(cprof_filters ingress) $(cprof_filters egress)" = "1 1" ]' ||
	{ cat "$T/detach.log"; fail "detach: the agent did not attach to vnA"; }
bpftool link detach id "$(tcx_links -i cprof_net_in)" || fail "bpftool link detach"
wait_for 10 "grep -q 'net: detached by someone else: vnA ingress;' '$T/detach.log'" ||
	{ cat "$T/detach.log"; fail "detach: the agent did not notice"; }
kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
expect "detach: exit status" "$?" 1
expect "detach: named at exit" \
	"$(grep -c 'exiting 1: --net detached by someone else: vnA ingress' "$T/detach.log")" 1
expect "detach: nothing left on vnA" "$(cprof_filters ingress) $(cprof_filters egress)" "0 0"
echo "PASS"
