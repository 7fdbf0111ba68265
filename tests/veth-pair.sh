# SPDX-License-Identifier: MIT
# Sourced by tests/e2e/test-net.sh and tests/e2e/test-agent-net.sh: veth_pair A B
# joins the existing network namespaces A and B with a veth pair, vnA in A
# (10.77.0.1/24, fd77::1/64) and vnB in B (10.77.0.2/24, fd77::2/64), so that
# packet and byte counts are exact: only the MSS option on SYNs (no
# timestamps, SACK or window scaling: every TCP header size is known) and
# quickack routes (every segment acknowledged at once). No traffic leaves
# the two namespaces. Returns non-zero when the pair cannot be created.
# Also cprof_filters HOOK: how many cprof classifiers sit on vnA in $A.
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

# cprof's tcx links (bpftool 7.1 knows them as type 11) by program name:
# cprof_net_in or cprof_net_eg; with -i, their ids.
tcx_links() {
	python3 - "$@" <<'PY'
import json, subprocess, sys
ids = sys.argv[1] == '-i'
name = sys.argv[-1]
bt = lambda *a: json.loads(subprocess.check_output(('bpftool',) + a + ('-j',)) or b'[]')
progs = {p['id']: p.get('name', '') for p in bt('prog', 'show')}
found = [l['id'] for l in bt('link', 'show')
         if l.get('type') in (11, 'tcx') and progs.get(l.get('prog_id')) == name]
print('\n'.join(map(str, found)) if ids else len(found))
PY
}
# cprof's classifiers on one hook: tcx links, or clsact filters (the fallback).
cprof_filters() {
	local prog=cprof_net_in
	[ "$1" = egress ] && prog=cprof_net_eg
	echo $(( $(tc -n "$A" filter show dev vnA "$1" 2>/dev/null | grep -c 'handle 0xc9f') +
		 $(tcx_links "$prog") ))
}
