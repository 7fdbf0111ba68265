#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The agent tells the truth about itself while it runs: GET /healthz answers
# 200 while it samples; a --cgroup that does not exist is refused at start
# (exit 1 naming it) and on a SIGHUP reload (the running configuration stays);
# a sampler failure during the run (one slot's sample map made read-only
# from outside with bpftool, so every other drain fails) stops it with exit 1
# naming the cause.
. "$(dirname "$0")/../agent/lib.sh"
[ -x "$CPROF" ] || fail "$CPROF is not built"

note "--cgroup: a malformed path is a usage error, a missing one a runtime error"
"$CPROF" agent --url "file://$T/out" --cgroup 'not/absolute' >"$T/usage.out" 2>&1
rc=$?
[ "$rc" = 2 ] || { cat "$T/usage.out"; fail "a malformed --cgroup exited $rc, want 2"; }
require_bpf
timeout -s TERM 20 "$CPROF" agent --url "file://$T/out" --cgroup "/cprof-no-such-cgroup-$$" -i 1 >"$T/nocg.out" 2>&1
rc=$?
[ "$rc" = 1 ] || { cat "$T/nocg.out"; fail "--cgroup /cprof-no-such-cgroup-$$ exited $rc, want 1"; }
grep -q "cgroup /cprof-no-such-cgroup-$$: no such cgroup" "$T/nocg.out" ||
	{ cat "$T/nocg.out"; fail "no message naming the missing cgroup"; }
grep -q 'sampling ' "$T/nocg.out" && fail "the agent sampled with a missing --cgroup"
echo "ok   missing --cgroup refused with exit 1"

note "/healthz, and a reload to a missing cgroup keeps the running configuration"
command -v curl >/dev/null || skip "curl is not installed"
mport=$(free_port)
cat >"$T/agent.conf" <<EOF
url = file://$T/out
interval = 1
frequency = 49
cgroup = /
metrics-addr = 127.0.0.1:$mport
EOF
# a busy process of its own: on an idle machine only short-lived processes
# (curl, sleep) are sampled, and those are copied before their tables land
start_work 40
start_agent "$T/hup.log" --config "$T/agent.conf"
H=http://127.0.0.1:$mport/healthz
code=$(curl -s -o "$T/health.txt" -w '%{http_code}' --max-time 5 "$H")
[ "$code" = 200 ] && [ "$(cat "$T/health.txt")" = ok ] ||
	fail "/healthz of a sampling agent: $code $(cat "$T/health.txt")"
echo "ok   /healthz: 200 ok"
# --unwind auto (the default): walks in the kernel, by outcome, and the
# kernel memory the maps hold, by kind
M=http://127.0.0.1:$mport/metrics
wait_for 10 "[ \"0\$(metric_value $M 'cprof_kernel_unwind_walks_total{outcome=\"complete\"}')\" -gt 0 ]" ||
	{ curl -s "$M" | grep -E 'kernel_unwind|bpf_map'; fail "no complete kernel walks in the metrics"; }
for k in tables stacks counts; do
	v=$(metric_value "$M" "cprof_bpf_map_bytes{kind=\"$k\"}")
	[ "${v:-0}" -gt 1048576 ] || fail "cprof_bpf_map_bytes{kind=\"$k\"} is '$v'"
done
[ "$(metric_value "$M" cprof_kernel_unwind_table_bytes)" -gt 0 ] || fail "no unwind table bytes"
# evictions need a full table (test-kunwind.sh makes them): here a count
[ -n "$(metric_value "$M" cprof_kernel_unwind_tables_evicted_total)" ] ||
	fail "no cprof_kernel_unwind_tables_evicted_total"
echo "ok   kernel walks and BPF map memory in the metrics"
sed -i "s|^cgroup = /\$|cgroup = /cprof-no-such-cgroup-$$|" "$T/agent.conf"
kill -HUP "$AGENT_PID"
wait_for 10 "grep -q 'keeping the running configuration' $T/hup.log" ||
	{ cat "$T/hup.log"; fail "a reload to a missing cgroup was not refused"; }
grep -q "reloading .*cgroup /cprof-no-such-cgroup-$$: no such cgroup" "$T/hup.log" ||
	{ cat "$T/hup.log"; fail "the refused reload does not name the cgroup"; }
kill -0 "$AGENT_PID" || fail "a refused reload stopped the agent"
[ "$(metric_value "http://127.0.0.1:$mport/metrics" cprof_config_reload_failures_total)" = 1 ] ||
	fail "the refused reload was not counted"
n=$(windows_logged "$T/hup.log")
wait_for 10 "[ \$(windows_logged $T/hup.log) -ge $((n + 2)) ]" || fail "no windows after the refused reload"
grep 'window [0-9]*:' "$T/hup.log" | tail -n1 | grep -q ' 0 samples in' &&
	fail "the last window has no samples: the missing cgroup was applied"
echo "ok   reload to a missing cgroup refused, sampling goes on"
stop_pid "$WORK_PID"

note "a sampler failure during the run: exit 1 naming the cause"
# one slot's count map frozen: every other drain fails, none twice in a row
command -v bpftool >/dev/null || skip "bpftool is not installed"
frozen=0
for id in $(bpf_maps_of "$AGENT_PID" counts0); do
	bpftool map freeze id "$id" || fail "bpftool map freeze id $id"
	frozen=$((frozen + 1))
done
[ "$frozen" = 1 ] || fail "found $frozen of the agent's slot 0 count maps, want 1"
for _ in $(seq 300); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$AGENT_PID" 2>/dev/null; then
	curl -s --max-time 5 "$H"; cat "$T/hup.log"; fail "the agent still runs 30 s after its sampler failed"
fi
wait "$AGENT_PID"
rc=$?
[ "$rc" = 1 ] || { cat "$T/hup.log"; fail "the agent exited $rc after a sampler failure, want 1"; }
grep -q 'stopped by a sampler failure (draining samples: Operation not permitted)' "$T/hup.log" ||
	{ cat "$T/hup.log"; fail "the exit does not name the sampler failure"; }
echo "ok   sampler failure: exit 1, cause named"
echo "PASS"
