#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End-to-end test of `cprof --net` in two network namespaces joined by a veth
# pair that this script creates (10.77.0.0/24, fd77::/64; no traffic leaves
# them). cprof runs in namespace A on vnA; tests/fixtures/net_send sends exact
# numbers of UDP and TCP packets of known sizes and hand-made frames (VLAN,
# truncated, bogus); the packet and byte counts per direction and port must be
# exact. Cleanup is checked with tc, ip and bpftool after a normal exit,
# SIGTERM, an error, and SIGKILL (tcx and XDP links go with their owner), with
# and without a clsact qdisc (and filters, one of them another BPF program)
# that existed before; the clsact fallback of kernels before tcx
# (CPROF_NET_LEGACY_TC=1) after SIGKILL and a restart. Two cprofs count every
# packet side by side, also from different PID namespaces, and a cprof whose
# programs someone else detached says so and exits 1.
# Needs root; exits 77 with SKIP otherwise.
set -u
OUT=${OUT:-build}
CPROF=$OUT/cprof SEND=$OUT/fixtures/net_send SUM=$OUT/fixtures/net_sum
TCOUNT=$OUT/fixtures/net_tcount.bpf.o
A=cprof-na-$$ B=cprof-nb-$$
TMP=$(mktemp -d)
CPID=

if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root (network namespaces, BPF)"; exit 77; fi
for f in "$CPROF" "$SEND" "$SUM" "$TCOUNT"; do
	[ -e "$f" ] || { echo "FAIL: $f is not built"; exit 1; }
done
if ! ip netns add "$A" 2>/dev/null; then echo "SKIP: cannot create network namespaces"; exit 77; fi
ip netns add "$B"

CG=
cleanup() {
	[ -n "$CPID" ] && kill -KILL "$CPID" 2>/dev/null
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	[ -n "$CG" ] && rmdir "$CG" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

checks=0
fail() { echo "FAIL: $*"; exit 1; }
expect() {	# what got want
	checks=$((checks + 1))
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
	case $2 in *$'\n'*) echo "ok   $1" ;; *) echo "ok   $1: $2" ;; esac
}
inA() { ip netns exec "$A" "$@"; }
inB() { ip netns exec "$B" "$@"; }

# --- the namespaces: vnA in A, vnB in B (tests/veth-pair.sh) ---------------
. "$(dirname "$0")/../veth-pair.sh"
veth_pair "$A" "$B" || fail "creating the veth pair"

# --- helpers --------------------------------------------------------------------
# The interface's qdiscs and filters as tc prints them: compared before and after.
tc_state() {
	tc -n "$A" qdisc show dev vnA
	echo "-- ingress"; tc -n "$A" filter show dev vnA ingress 2>&1
	echo "-- egress"; tc -n "$A" filter show dev vnA egress 2>&1
}
xdp_prog() { ip -n "$A" -d link show dev vnA | sed -n 's/.*prog\/xdp\(generic\)\{0,1\} id \([0-9]*\).*/\2/p'; }

# Starts cprof in A in the background and waits until both classifiers are on.
start_cprof() {
	# not through inA: $! must be cprof itself (ip netns exec execs it)
	ip netns exec "$A" "$CPROF" --net vnA "$@" 2>"$TMP/cprof.err" &
	CPID=$!
	for _ in $(seq 100); do
		[ "$(cprof_filters ingress)" = 1 ] && [ "$(cprof_filters egress)" = 1 ] && return 0
		kill -0 "$CPID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$TMP/cprof.err"
	fail "cprof did not attach to vnA"
}
stop_cprof() {	# signal; sets RC
	[ -n "$1" ] && kill "-$1" "$CPID"
	wait "$CPID" 2>/dev/null
	RC=$?
	CPID=
}
wait_file() { for _ in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.05; done; fail "$1 never appeared"; }

udp_flow() {	# from-ns to-ns dst port count size sport
	local rdy=$TMP/rdy.$RANDOM
	in_cg ip netns exec "$2" "$SEND" udp-sink "$3" "$4" "$5" "$rdy" >"$TMP/sink.out" &
	local sink=$!
	wait_file "$rdy"
	in_cg ip netns exec "$1" "$SEND" udp "$3" "$4" "$5" "$6" "$7" || fail "udp send"
	wait "$sink" || fail "the sink did not receive $5 datagrams: $(cat "$TMP/sink.out")"
}
tcp_flow() {	# dst port rounds req resp sport (client in A, server in B)
	local rdy=$TMP/rdy.$RANDOM
	inB "$SEND" tcp-server "$1" "$2" "$3" "$4" "$5" "$rdy" &
	local srv=$!
	wait_file "$rdy"
	in_cg ip netns exec "$A" "$SEND" tcp-client "$1" "$2" "$3" "$4" "$5" "$6" >>"$TMP/tcp.out" ||
		fail "tcp client"
	wait "$srv" || fail "tcp server"
}
sum() { "$SUM" "$@"; }

# The processes in A run in a cgroup v2 group of their own (where cgroup v2 is
# mounted): its id, the directory's inode, is what their packets must carry.
CGID=
for root in /sys/fs/cgroup /sys/fs/cgroup/unified; do
	if [ "$(stat -f -c %T "$root" 2>/dev/null)" = cgroup2fs ] &&
	   mkdir "$root/cprof-net-test-$$" 2>/dev/null; then
		CG=$root/cprof-net-test-$$
		CGID=$(stat -c %i "$CG")
		break
	fi
done
in_cg() {	# runs a command in that cgroup
	if [ -n "$CG" ]; then (echo "$BASHPID" >"$CG/cgroup.procs" && exec "$@"); else "$@"; fi
}

# --- 1. IPv4 UDP and TCP, pre-existing clsact with two filters, SIGTERM ---------
inA tc qdisc add dev vnA clsact
inA tc filter add dev vnA ingress prio 10 protocol ip u32 match ip dport 9001 0xffff classid 1:1
inA tc filter add dev vnA egress prio 10 bpf da obj "$TCOUNT" sec tc || fail "loading the tcount fixture"
before=$(tc_state)

start_cprof --net-output "$TMP/t1.pb.gz"
udp_flow "$A" "$B" 10.77.0.2 9000 50 100 40001	# A -> B: 50 x (14+20+8+100)
udp_flow "$B" "$A" 10.77.0.1 9001 30 200 40002	# B -> A: 30 x (14+20+8+200)
tcp_flow 10.77.0.2 9100 5 100 300 40003
stop_cprof TERM
expect "exit status after SIGTERM" "$RC" 0
expect "tc state after SIGTERM (pre-existing clsact and filters untouched)" "$(tc_state)" "$before"

F=$TMP/t1.pb.gz
expect "udp egress to port 9000" "$(sum "$F" direction=egress proto=udp port=9000)" "50 7100"
expect "udp egress local/remote ports" \
	"$(sum "$F" direction=egress local_port=40001 remote_port=9000)" "50 7100"
expect "udp egress by process" "$(sum "$F" direction=egress port=9000 comm=net_send)" "50 7100"
expect "udp egress stack" "$(sum "$F" stack='net;vnA;egress;udp;9000/udp')" "50 7100"
expect "udp ingress to port 9001" "$(sum "$F" direction=ingress proto=udp port=9001)" "30 7260"
expect "udp ingress by process" "$(sum "$F" direction=ingress port=9001 comm=net_send)" "30 7260"
# Client: SYN 58, ACK 54, 5 x (request 154 + ACK 54), FIN 54, ACK 54.
expect "tcp egress (client to 9100)" "$(sum "$F" direction=egress proto=tcp port=9100)" "14 1260"
# Server: SYN-ACK 58, 5 x (ACK 54 + response 354), ACK of FIN 54, FIN 54.
expect "tcp ingress (server 9100)" "$(sum "$F" direction=ingress proto=tcp port=9100)" "13 2206"
expect "tcp both ways by process" "$(sum "$F" proto=tcp comm=net_send)" "27 3466"
if [ -n "$CGID" ]; then
	expect "udp egress in the sender's cgroup" "$(sum "$F" port=9000 cgroup_id="$CGID")" "50 7100"
	expect "udp ingress in the sink's cgroup" "$(sum "$F" port=9001 cgroup_id="$CGID")" "30 7260"
	expect "tcp egress in the client's cgroup" \
		"$(sum "$F" direction=egress port=9100 cgroup_id="$CGID")" "14 1260"
	expect "tcp ingress in the client's cgroup" \
		"$(sum "$F" direction=ingress port=9100 cgroup_id="$CGID")" "13 2206"
fi
# The other party's classifier, after cprof's at priority 1, saw every packet.
tid=$(tc -n "$A" filter show dev vnA egress | sed -n 's/.* id \([0-9]*\) name tcount .*/\1/p')
mid=$(bpftool prog show id "$tid" -j | python3 -c 'import json,sys; print(json.load(sys.stdin)["map_ids"][0])')
seen=$(bpftool map lookup id "$mid" key 0 0 0 0 -j | python3 -c 'import json,sys; print(json.load(sys.stdin)["formatted"]["value"])')
expect "packets the pre-existing BPF classifier saw" "$seen" 50
if command -v go >/dev/null; then
	top=$(GOFLAGS= go tool pprof -symbolize=none -sample_index=bytes -top "$F" 2>&1)
	expect "go tool pprof -top names the flow" "$(grep -c '9000/udp' <<<"$top")" 1
fi
"$CPROF" flamegraph "$F" --sample-type bytes -o "$TMP/t1.svg" || fail "cprof flamegraph"
expect "flame graph has the port frame" "$(grep -c '9000/udp' "$TMP/t1.svg" | awk '{print ($1 > 0)}')" 1

# --- 2. IPv6, VLAN, malformed frames, XDP; cprof creates the clsact; -d exit ----
inA tc qdisc del dev vnA clsact
start_cprof --net-xdp -d 5 --net-output "$TMP/t2.pb.gz"
expect "XDP attached while running" "$(xdp_prog | wc -l)" 1
tcp_flow fd77::2 9100 5 100 300 40003
udp_flow "$B" "$A" fd77::1 9001 30 200 40002
for k in vlan-udp trunc-udp trunc-ip bad-ip trunc-vlan frag ipv6-hop; do
	inA "$SEND" raw vnA "$k" 2 || fail "raw $k"
	inB "$SEND" raw vnB "$k" 3 || fail "raw $k"
done
stop_cprof ""
expect "exit status after -d" "$RC" 0
expect "no clsact qdisc left (cprof created it)" "$(tc -n "$A" qdisc show dev vnA | grep -c clsact)" 0
expect "no XDP program left" "$(xdp_prog | wc -l)" 0

F=$TMP/t2.pb.gz
expect "tcp6 egress" "$(sum "$F" direction=egress family=ipv6 port=9100)" "14 1540"
expect "tcp6 ingress" "$(sum "$F" direction=ingress family=ipv6 port=9100)" "13 2466"
expect "tcp6 seen by XDP" "$(sum "$F" direction=xdp family=ipv6 port=9100)" "13 2466"
expect "udp6 ingress" "$(sum "$F" direction=ingress family=ipv6 port=9001)" "30 7860"
expect "udp6 seen by XDP" "$(sum "$F" direction=xdp port=9001)" "30 7860"
# 802.1Q VID 100: the tag in the data on egress and in XDP, in metadata on TC ingress.
expect "vlan 100 egress" "$(sum "$F" direction=egress vlan=100 port=5555)" "2 220"
expect "vlan 100 ingress" "$(sum "$F" direction=ingress vlan=100 port=5555)" "3 330"
expect "vlan 100 xdp" "$(sum "$F" direction=xdp vlan=100 port=5555)" "3 330"
expect "ipv6 hop-by-hop egress ports" \
	"$(sum "$F" direction=egress local_port=5555 remote_port=7778)" "2 172"
expect "ipv6 hop-by-hop ingress ports" \
	"$(sum "$F" direction=ingress local_port=7778 remote_port=5555)" "3 258"
expect "truncated udp egress" "$(sum "$F" direction=egress malformed='truncated udp header')" "2 76"
expect "truncated udp ingress" "$(sum "$F" direction=ingress malformed='truncated udp header')" "3 114"
expect "truncated udp xdp" "$(sum "$F" direction=xdp malformed='truncated udp header')" "3 114"
expect "truncated ipv4 egress" "$(sum "$F" direction=egress malformed='truncated ipv4 header')" "2 48"
expect "truncated ipv4 ingress" "$(sum "$F" direction=ingress malformed='truncated ipv4 header')" "3 72"
expect "bad ipv4 ingress" "$(sum "$F" direction=ingress malformed='bad ipv4 header')" "3 162"
expect "truncated vlan egress" "$(sum "$F" direction=egress malformed='truncated vlan header')" "2 28"
expect "truncated vlan xdp" "$(sum "$F" direction=xdp malformed='truncated vlan header')" "3 42"
expect "fragments ingress" "$(sum "$F" stack='net;vnA;ingress;udp;fragment')" "3 198"
expect "all malformed egress" "$(sum "$F" direction=egress proto=malformed)" "8 260"

# --- 3. SIGKILL: tcx and XDP links go with their owner, nothing is left ----------
inA tc qdisc add dev vnA clsact
inA tc filter add dev vnA ingress prio 10 protocol ip u32 match ip dport 9001 0xffff classid 1:1
before=$(tc_state)
start_cprof --net-xdp --net-output "$TMP/t3.pb.gz"
expect "tcx links while running" "$(tcx_links cprof_net_in) $(tcx_links cprof_net_eg)" "1 1"
stop_cprof KILL
for _ in $(seq 20); do [ "$(cprof_filters ingress)$(cprof_filters egress)$(xdp_prog | wc -l)" = 000 ] && break; sleep 0.1; done
expect "classifiers left after SIGKILL, without a restart" "$(cprof_filters ingress) $(cprof_filters egress)" "0 0"
expect "XDP program left after SIGKILL, without a restart" "$(xdp_prog | wc -l)" 0
expect "tc state after SIGKILL (pre-existing clsact and filter untouched)" "$(tc_state)" "$before"

# --- 3L. the clsact fallback of kernels without tcx: SIGKILL leaves filters, a
#     restart removes what the killed cprof left ----------------------------------
export CPROF_NET_LEGACY_TC=1
# a) over a pre-existing clsact with a filter: the filter and qdisc stay.
start_cprof --net-xdp --net-output "$TMP/t3.pb.gz"
stop_cprof KILL
expect "fallback: stale classifiers after SIGKILL" "$(cprof_filters ingress) $(cprof_filters egress)" "1 1"
expect "fallback: stale XDP program after SIGKILL" "$(xdp_prog | wc -l)" 1
inA "$CPROF" --net vnA -d 0.5 -q --net-output "$TMP/t3b.pb.gz" 2>"$TMP/restart.err"
expect "fallback: restart exit status" "$?" 0
expect "fallback: restart removed the stale classifiers, kept the rest" "$(tc_state)" "$before"
expect "fallback: restart removed the stale XDP program" "$(xdp_prog | wc -l)" 0

# b) cprof created the clsact; the restart counts another interface (lo) and
#    still sweeps vnA, deleting the qdisc the killed cprof had created.
inA tc qdisc del dev vnA clsact
start_cprof --net-output "$TMP/t4.pb.gz"
stop_cprof KILL
expect "fallback: stale clsact after SIGKILL" "$(tc -n "$A" qdisc show dev vnA | grep -c clsact)" 1
inA "$CPROF" --net lo -d 0.5 --net-output "$TMP/t4b.pb.gz" 2>"$TMP/restart.err"
expect "fallback: restart on lo exit status" "$?" 0
expect "fallback: restart reported the sweep" "$(grep -c 'removed 2 stale cprof network attachments' "$TMP/restart.err")" 1
expect "fallback: clsact created by the killed cprof is gone" "$(tc -n "$A" qdisc show dev vnA | grep -c clsact)" 0
unset CPROF_NET_LEGACY_TC

# c) two cprofs on one interface: each counts every packet; the first to leave
#    keeps the clsact the other still uses, the last one removes it.
start_cprof --net-output "$TMP/t8a.pb.gz"
first=$CPID
ip netns exec "$A" "$CPROF" -q --net vnA --net-output "$TMP/t8b.pb.gz" &
CPID=$!
for _ in $(seq 100); do
	[ "$(cprof_filters ingress) $(cprof_filters egress)" = "2 2" ] && break
	sleep 0.1
done
expect "two cprofs attached side by side" "$(cprof_filters ingress) $(cprof_filters egress)" "2 2"
udp_flow "$A" "$B" 10.77.0.2 9000 20 300 40008
kill -TERM "$first"
wait "$first"
expect "first cprof's exit status" "$?" 0
expect "the other's classifiers stay" "$(cprof_filters ingress) $(cprof_filters egress)" "1 1"
stop_cprof TERM
expect "second cprof's exit status" "$RC" 0
expect "the last one removed the clsact" "$(tc -n "$A" qdisc show dev vnA | grep -c clsact)" 0
expect "first cprof counted every packet" "$(sum "$TMP/t8a.pb.gz" direction=egress port=9000)" "20 6840"
expect "second cprof counted every packet" "$(sum "$TMP/t8b.pb.gz" direction=egress port=9000)" "20 6840"

# d) two cprofs in different PID namespaces of this network namespace: neither
#    takes the other's programs for a dead cprof's; both count every packet.
#    With tcx there is nothing to sweep; with the fallback the second, which
#    cannot see the first, leaves its filters and says so.
two_pidns() {	# label [options of the first]
	start_cprof --net-output "$TMP/p1.pb.gz" "${@:2}"
	local first=$CPID child
	ip netns exec "$A" unshare -p -f --mount-proc "$CPROF" -q --net vnA \
		--net-output "$TMP/p2.pb.gz" 2>"$TMP/p2.err" &
	CPID=$!
	for _ in $(seq 100); do
		[ "$(cprof_filters ingress) $(cprof_filters egress)" = "2 2" ] && break
		sleep 0.1
	done
	expect "$1: two cprofs attached from two PID namespaces" \
		"$(cprof_filters ingress) $(cprof_filters egress)" "2 2"
	udp_flow "$A" "$B" 10.77.0.2 9000 500 100 40010
	kill -TERM "$first"
	wait "$first"
	expect "$1: first cprof's exit status" "$?" 0
	child=$(cat /proc/"$CPID"/task/"$CPID"/children)	# unshare -f ignores SIGTERM
	kill -TERM $child
	stop_cprof ""
	expect "$1: second cprof's exit status" "$RC" 0
	expect "$1: first cprof counted every packet" \
		"$(sum "$TMP/p1.pb.gz" direction=egress port=9000)" "500 71000"
	expect "$1: second cprof counted every packet" \
		"$(sum "$TMP/p2.pb.gz" direction=egress port=9000)" "500 71000"
	expect "$1: nothing left" "$(cprof_filters ingress) $(cprof_filters egress) $(xdp_prog | wc -l)" "0 0 0"
}
two_pidns tcx --net-xdp
# The first's XDP link looks unheld from the second's PID namespace, but it
# is a link: nothing to sweep, nothing to report.
expect "tcx: the second found nothing stale" "$(grep -c 'stale\|left ' "$TMP/p2.err")" 0
CPROF_NET_LEGACY_TC=1 && export CPROF_NET_LEGACY_TC
two_pidns fallback
unset CPROF_NET_LEGACY_TC
expect "fallback: the second said what it left" "$(grep -c 'left 2 cprof TC filters or XDP programs' "$TMP/p2.err")" 1
expect "no clsact left after the fallback" "$(tc -n "$A" qdisc show dev vnA | grep -c clsact)" 0

# e) someone else detaches cprof's ingress program: it says so, exits 1.
start_cprof --net-output "$TMP/t9.pb.gz"
bpftool link detach id "$(tcx_links -i cprof_net_in)" || fail "bpftool link detach"
udp_flow "$B" "$A" 10.77.0.1 9001 10 100 40011
stop_cprof TERM
expect "detached by someone else: exit status" "$RC" 1
expect "detached by someone else: message" \
	"$(grep -c 'detached by someone else during the run: vnA ingress;' "$TMP/cprof.err")" 1
expect "detached by someone else: ingress not counted" \
	"$(sum "$TMP/t9.pb.gz" direction=ingress port=9001)" "0 0"

# --- 4. beside a CPU profile: -- CMD is profiled and its traffic counted --------
rdy=$TMP/rdy.cmd
in_cg ip netns exec "$B" "$SEND" udp-sink 10.77.0.2 9000 40 "$rdy" >/dev/null &
sink=$!
wait_file "$rdy"
inA "$CPROF" -q --net vnA --net-output "$TMP/t7.pb.gz" -o "$TMP/t7-cpu.pb.gz" -- \
	"$SEND" udp 10.77.0.2 9000 40 500 40009
expect "cprof -- CMD with --net: exit status" "$?" 0
wait "$sink"
expect "traffic of the profiled command" "$(sum "$TMP/t7.pb.gz" direction=egress port=9000)" "40 21680"
expect "CPU profile written beside it" "$([ -s "$TMP/t7-cpu.pb.gz" ] && echo yes)" yes
expect "no clsact left after -- CMD" "$(tc -n "$A" qdisc show dev vnA | grep -c clsact)" 0

# --- 5. error paths leave nothing behind ---------------------------------------
inA ip link set dev vnA xdpgeneric obj "$TCOUNT" sec xdp || fail "loading the xdp fixture"
other=$(xdp_prog)
inA "$CPROF" --net vnA --net-xdp -d 5 --net-output "$TMP/t5.pb.gz" 2>"$TMP/err.txt"
expect "another XDP program: exit status" "$?" 1
expect "another XDP program: message" "$(grep -c 'already has an XDP program' "$TMP/err.txt")" 1
expect "another XDP program: left in place" "$(xdp_prog)" "$other"
expect "error path: no clsact left" "$(tc -n "$A" qdisc show dev vnA | grep -c clsact)" 0
expect "error path: no output file" "$(ls "$TMP" | grep -c 't5.pb.gz')" 0
inA ip link set dev vnA xdpgeneric off
inA "$CPROF" --net nosuch0 -d 1 --net-output "$TMP/t6.pb.gz" 2>"$TMP/err.txt"
expect "unknown interface: exit status" "$?" 1
expect "unknown interface: message" "$(grep -c "no network interface 'nosuch0'" "$TMP/err.txt")" 1
inA "$CPROF" --net vnA -o "$TMP/cpu.pb.gz" 2>/dev/null
expect "-o without a CPU target: usage error" "$?" 2

echo "$checks checks passed"
