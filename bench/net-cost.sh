#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Cost of `cprof --net` on a veth pair between two network namespaces this
# script creates (10.78.0.0/24; no traffic leaves them):
#  - per-packet cost of each program (TC ingress, TC egress, XDP) from the
#    kernel's own accounting (kernel.bpf_stats_enabled: run_time_ns / run_cnt),
#    beside a near-empty classifier (tests/fixtures/net_tcount.bpf.c) on the
#    same hook, whose figure is mostly the accounting's own clock reads,
#  - TCP bulk throughput and small-UDP packet rate across the pair without
#    cprof, with the TC classifiers, with TC + XDP, and, for reference, with
#    only an XDP program that passes everything (veth's native XDP mode has a
#    cost of its own: no GRO/TSO pass-through), and under `cprof agent --net`
#    (with the agent's own CPU while the traffic runs), in the same run.
# The configurations are interleaved over NET_BENCH_ROUNDS rounds (default 3)
# and the median is printed: this machine's other load moves single runs a lot.
# Prints figures; never fails on a time. Needs root.
set -u
OUT=${OUT:-build}
SECS=${NET_BENCH_SECS:-2}
ROUNDS=${NET_BENCH_ROUNDS:-3}
SEND=$OUT/fixtures/net_send CPROF=$OUT/cprof
A=cprof-ba-$$ B=cprof-bb-$$
TMP=$(mktemp -d)
CPID=
old=$(sysctl -n kernel.bpf_stats_enabled)

cleanup() {
	[ -n "$CPID" ] && kill -TERM "$CPID" 2>/dev/null && wait "$CPID" 2>/dev/null
	sysctl -q -w kernel.bpf_stats_enabled="$old"
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
[ -x "$SEND" ] && [ -x "$CPROF" ] || { echo "net-cost: build first (make tests)"; exit 0; }
ip netns add "$A" && ip netns add "$B" || { echo "net-cost: cannot create namespaces"; exit 0; }
ip -n "$A" link add vbA type veth peer name vbB netns "$B"
ip -n "$A" addr add 10.78.0.1/24 dev vbA
ip -n "$B" addr add 10.78.0.2/24 dev vbB
for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
ip -n "$A" link set vbA up
ip -n "$B" link set vbB up

wait_file() { for _ in $(seq 200); do [ -e "$1" ] && return 0; sleep 0.05; done; return 1; }

# TCP bulk A -> B; prints Gbit/s.
tcp_rate() {
	local rdy=$TMP/rdy.$RANDOM out
	ip netns exec "$B" "$SEND" tcp-sink 10.78.0.2 5201 "$rdy" &
	local sink=$!
	wait_file "$rdy"
	out=$(ip netns exec "$A" "$SEND" tcp-bulk 10.78.0.2 5201 "$SECS")
	wait "$sink"
	awk '{ printf "%.2f", $2 * 8 / $4 / 1e9 }' <<<"$out"
}

# 64-byte UDP datagrams A -> B; prints received kpps.
udp_rate() {
	local rdy=$TMP/rdy.$RANDOM got
	ip netns exec "$B" "$SEND" udp-count 10.78.0.2 5202 "$rdy" >"$TMP/count" &
	local sink=$!
	wait_file "$rdy"
	ip netns exec "$A" "$SEND" udp-flood 10.78.0.2 5202 "$SECS" 64 >/dev/null
	wait "$sink"
	got=$(awk '{ print $2 }' "$TMP/count")
	awk -v n="$got" -v s="$SECS" 'BEGIN { printf "%.0f", n / s / 1000 }'
}

. "$(dirname "$0")/../tests/veth-pair.sh"	# tcx_links
# cprof's egress classifier is on: a tcx link, or a clsact filter (before 6.6).
attached() {
	tc -n "$B" filter show dev vbB egress 2>/dev/null | grep -q 'handle 0xc9f' ||
		[ "$(tcx_links cprof_net_eg)" -ge 1 ]
}
# cprof counts on the receiving side (B): its ingress sees the flood, egress the ACKs.
start_cprof() {
	ip netns exec "$B" "$CPROF" -q --net vbB "$@" --net-output "$TMP/net.pb.gz" &
	CPID=$!
	for _ in $(seq 100); do
		attached && return 0
		sleep 0.1
	done
	echo "net-cost: cprof did not attach"; exit 0
}
# The same counters under `cprof agent` (whole machine at 19 Hz, 1 s windows
# into files): the network profile built and spooled every window.
start_agent() {
	mkdir -p "$TMP/agent"
	ip netns exec "$B" "$CPROF" agent -q --net vbB -i 1 --url "file://$TMP/agent" &
	CPID=$!
	for _ in $(seq 100); do
		attached && return 0
		sleep 0.1
	done
	echo "net-cost: cprof agent did not attach"; exit 0
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
stop_cprof() { kill -TERM "$CPID"; wait "$CPID"; CPID=; }

prog_costs() {
	bpftool prog show -j | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    n = p.get("name", "")
    if n in ("cprof_net_in", "cprof_net_eg", "cprof_net_xdp", "tcount") and p.get("run_cnt"):
        print("net-cost: %-14s %10d packets %6.0f ns/packet%s" %
              (n, p["run_cnt"], p["run_time_ns"] / p["run_cnt"],
               "   (reference: near-empty classifier)" if n == "tcount" else ""))
'
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

sysctl -q -w kernel.bpf_stats_enabled=0
declare -A tcp udp
agent_cpu=
for r in $(seq "$ROUNDS"); do
	for cfg in base tc xdp xpass agent; do
		case $cfg in
		tc) start_cprof ;;
		agent) start_agent; t0=$(cpu_ticks "$CPID"); s0=$(date +%s%N) ;;
		xdp) start_cprof --net-xdp ;;
		xpass) ip netns exec "$B" ip link set dev vbB xdp obj "$OUT/fixtures/net_tcount.bpf.o" \
			sec xdp 2>/dev/null || continue ;;
		esac
		tcp[$cfg]+="$(tcp_rate) "
		udp[$cfg]+="$(udp_rate) "
		case $cfg in
		agent) agent_cpu+="$(awk -v t="$(( $(cpu_ticks "$CPID") - t0 ))" \
			-v hz="$(getconf CLK_TCK)" -v ns="$(( $(date +%s%N) - s0 ))" \
			'BEGIN { printf "%.2f", 100 * t / hz / (ns / 1e9) }') "
		       stop_cprof ;;
		tc|xdp) stop_cprof ;;
		xpass) ip netns exec "$B" ip link set dev vbB xdp off ;;
		esac
	done
done
base_tcp=$(median <<<"${tcp[base]}") base_udp=$(median <<<"${udp[base]}")
tc_tcp=$(median <<<"${tcp[tc]}") tc_udp=$(median <<<"${udp[tc]}")
xdp_tcp=$(median <<<"${tcp[xdp]}") xdp_udp=$(median <<<"${udp[xdp]}")
xp_tcp=$(median <<<"${tcp[xpass]:-}") xp_udp=$(median <<<"${udp[xpass]:-}")
ag_tcp=$(median <<<"${tcp[agent]}") ag_udp=$(median <<<"${udp[agent]}") ag_cpu=$(median <<<"$agent_cpu")

# Per-packet cost, separately: bpf_stats itself costs a little per run.
sysctl -q -w kernel.bpf_stats_enabled=1
start_cprof --net-xdp
# (with tcx links, cprof makes no clsact qdisc: the reference classifier needs one)
[ -e "$OUT/fixtures/net_tcount.bpf.o" ] && {
	tc -n "$B" qdisc show dev vbB | grep -q clsact || tc -n "$B" qdisc add dev vbB clsact
	ip netns exec "$B" tc filter add dev vbB ingress prio 10 bpf da obj "$OUT/fixtures/net_tcount.bpf.o" sec tc
}
mode=native
ip -n "$B" -d link show dev vbB | grep -q 'prog/xdpgeneric' && mode=generic
udp_rate >/dev/null
tcp_rate >/dev/null
prog_costs
stop_cprof
sysctl -q -w kernel.bpf_stats_enabled="$old"

printf 'net-cost: veth, %s CPUs, median of %s runs of %s s   TCP Gbit/s   UDP 64 B kpps\n' "$(nproc)" "$ROUNDS" "$SECS"
printf 'net-cost:   without cprof                         %8s   %10s\n' "$base_tcp" "$base_udp"
printf 'net-cost:   cprof --net (TC ingress+egress)      %8s   %10s\n' "$tc_tcp" "$tc_udp"
printf 'net-cost:   cprof --net --net-xdp (xdp %-7s)  %8s   %10s\n' "$mode" "$xdp_tcp" "$xdp_udp"
printf 'net-cost:   reference: XDP_PASS program alone    %8s   %10s\n' "$xp_tcp" "$xp_udp"
printf 'net-cost:   cprof agent --net (TC, 1 s windows)  %8s   %10s   agent CPU %s %% of one core\n' \
	"$ag_tcp" "$ag_udp" "$ag_cpu"
awk -v b="$base_tcp" -v t="$tc_tcp" -v x="$xdp_tcp" -v bu="$base_udp" -v tu="$tc_udp" -v xu="$xdp_udp" \
	'BEGIN { printf "net-cost:   ratio to without: TC %.3f / %.3f, TC+XDP %.3f / %.3f (TCP / UDP)\n",
		 t / b, tu / bu, x / b, xu / bu }'
