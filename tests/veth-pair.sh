# SPDX-License-Identifier: MIT
# Sourced by tests/test-net.sh and tests/test-agent-net.sh: veth_pair A B
# joins the existing network namespaces A and B with a veth pair, vnA in A
# (10.77.0.1/24, fd77::1/64) and vnB in B (10.77.0.2/24, fd77::2/64), so that
# packet and byte counts are exact: only the MSS option on SYNs (no
# timestamps, SACK or window scaling: every TCP header size is known) and
# quickack routes (every segment acknowledged at once). No traffic leaves
# the two namespaces. Returns non-zero when the pair cannot be created.
veth_pair() {
	local a=$1 b=$2 ns
	ip -n "$a" link add vnA type veth peer name vnB netns "$b" || return 1
	ip -n "$a" addr add 10.77.0.1/24 dev vnA
	ip -n "$b" addr add 10.77.0.2/24 dev vnB
	ip -n "$a" -6 addr add fd77::1/64 dev vnA nodad
	ip -n "$b" -6 addr add fd77::2/64 dev vnB nodad
	for ns in "$a" "$b"; do
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv4.tcp_timestamps=0 net.ipv4.tcp_sack=0 \
			net.ipv4.tcp_window_scaling=0
	done
	ip -n "$a" link set vnA up
	ip -n "$b" link set vnB up
	ip -n "$a" route add 10.77.0.2/32 dev vnA quickack 1
	ip -n "$b" route add 10.77.0.1/32 dev vnB quickack 1
	ip -n "$a" -6 route add fd77::2/128 dev vnA quickack 1
	ip -n "$b" -6 route add fd77::1/128 dev vnB quickack 1
}
