#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# An exec's cgroup is known by the kernel's name for the set of cgroups it
# is in (bpf/sample.h: cprof_event.cgroups), on cgroup v1, v2 and hybrid
# hosts alike: two cgroups each exec a program of their own over and over
# (short-lived, sampled processes) while the agent names services by
# cgroup. Each program's samples must land in its own cgroup's service and
# never in the other's, and most execs must have been attributed with no
# read of /proc (cprof_process_cgroup_known_total): a set named the same in
# both cgroups would mix them up, a set named differently each time would
# never be known.
. "$(dirname "$0")/../agent/lib.sh"
require_bpf
require_receiver

# where attribution looks first: the v2 path, else (v1) name=systemd's
root=
for d in /sys/fs/cgroup/unified /sys/fs/cgroup /sys/fs/cgroup/systemd; do
	case "$(stat -f -c %T "$d" 2>/dev/null)" in
	cgroup2fs) root=$d; break ;;
	cgroupfs) [ "$d" = /sys/fs/cgroup/systemd ] && root=$d && break ;;
	esac
done
a=cprof-cg-a-$$ b=cprof-cg-b-$$
[ -n "$root" ] && mkdir "$root/$a" "$root/$b" 2>/dev/null ||
	skip "no writable cgroup v2 or name=systemd hierarchy here"
CLEANUP_CGROUPS="$root/$a $root/$b"
echo "cgroups under $root"

port=$(free_port)
mport=$(free_port)
start_receiver cg pyroscope "$port"
start_agent "$T/agent.log" --url "pyroscope://127.0.0.1:$port" -i 2 -F 99 \
	--service-name cgroup --metrics-addr "127.0.0.1:$mport"
wait_for 15 "curl -sf http://127.0.0.1:$mport/metrics >/dev/null" || fail "no metrics endpoint"
# in_cgroup DIR CMD...: CMD over and over for 6 s, from a shell moved into DIR
in_cgroup() {
	local dir=$1; shift
	sh -c 'echo $$ >"$1/cgroup.procs" || exit 1; shift; end=$(($(date +%s) + 6))
		while [ "$(date +%s)" -lt "$end" ]; do "$@" >/dev/null; done' sh "$dir" "$@" &
	PIDS+=($!)
}
in_cgroup "$root/$a" "$WORK" 0.1
pa=$!
in_cgroup "$root/$b" "$OUT/fixtures/names_hot" 0.1
pb=$!
wait "$pa" || fail "the shell in $root/$a failed"
wait "$pb" || fail "the shell in $root/$b failed"
sleep 3
known=$(curl -s --max-time 5 "http://127.0.0.1:$mport/metrics" |
	awk '$1 == "cprof_process_cgroup_known_total" {print $2}')
stop_agent "$AGENT_PID" "$T/agent.log"
check --out "$T/cg" --agent-log "$T/agent.log" --service "$a" --leaf hot_a --leaf hot_b
check --out "$T/cg" --agent-log "$T/agent.log" --service "$b" --leaf spin_forty
"$PY" - "$T/cg/deliveries.jsonl" "$a" "$b" <<'EOF' || fail "samples in the wrong cgroup's service"
import json, sys
path, a, b = sys.argv[1:]
leaves = {a: {}, b: {}}
for line in open(path):
    d = json.loads(line)
    if d.get('kind') in ('net', 'off_cpu') or d['service'] not in leaves:
        continue
    for k, v in d['leaves'].items():
        leaves[d['service']][k] = leaves[d['service']].get(k, 0) + v
work = ('hot_a', 'hot_b', 'hot_c')
names = ('spin_forty', 'spin_thirty', 'spin_twenty', 'spin_ten')
bad = {k: v for k, v in leaves[a].items() if k in names}
bad.update({k: v for k, v in leaves[b].items() if k in work})
print('%s: %d samples of work, %d of names_hot; %s: %d of names_hot, %d of work' % (
    a, sum(v for k, v in leaves[a].items() if k in work), sum(v for k, v in leaves[a].items() if k in names),
    b, sum(v for k, v in leaves[b].items() if k in names), sum(v for k, v in leaves[b].items() if k in work)))
sys.exit(1 if bad else 0)
EOF
[ "${known:-0}" -ge 20 ] ||
	fail "only ${known:-0} execs had their cgroup known without a read of /proc (want >= 20 of ~100)"
echo "ok   $known execs attributed by their set of cgroups"
echo PASS
