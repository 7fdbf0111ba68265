#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `cprof agent` against each backend's wire format, decoded by the tests' own
# receiver (protoc-generated Python, not cprof's C): Pyroscope push (whole
# machine, tenant, labels, bearer token from a file), Parca WriteRaw over
# gRPC-Web (--comm filter, basic auth from the environment), OTLP/HTTP
# profiles with zstd (--pid), and file:// pprof files. For each: the payload
# decodes, the labels are there, the ground-truth workload's hot functions
# are in its service's profiles, raw profiles are read by go tool pprof, and
# the samples delivered are exactly the samples the agent counted.
. "$(dirname "$0")/../agent/lib.sh"
require_bpf
require_receiver

note "pyroscope: whole machine, tenant, labels, bearer token"
port=$(free_port)
printf 's3cret-token\n' >"$T/token"
start_receiver pyro pyroscope "$port" --expect-tenant team-a --expect-auth "Bearer s3cret-token"
start_work 6
start_agent "$T/pyro.log" --url "pyroscope://127.0.0.1:$port" -i 1 -F 99 --tenant team-a \
	--label env=test --label region=lab --bearer-token-file "$T/token"
grep -q s3cret "/proc/$AGENT_PID/cmdline" && fail "the token shows in the agent's command line"
wait_for 15 "[ \$(windows_logged $T/pyro.log) -ge 3 ]" || fail "no windows"
stop_agent "$AGENT_PID" "$T/pyro.log"
check --out "$T/pyro" --agent-log "$T/pyro.log" --service work --leaf hot_a --leaf hot_b \
	--leaf hot_c --label env=test --label region=lab --label "hostname=$(hostname)" --go-pprof
stop_pid "$WORK_PID"

note "parca: --comm filter, basic auth from the environment, gRPC retryable status"
port=$(free_port)
start_receiver parca parca "$port" --script grpc14 \
	--expect-auth "Basic $(printf 'agent:pa55' | base64)"
start_work 6
CPROF_BASIC_AUTH=agent:pa55 start_agent "$T/parca.log" --url "parca://127.0.0.1:$port" -i 1 \
	-F 99 --comm '^work$' --retry-backoff-min 0.1 --retry-backoff-max 0.3
wait_for 15 "[ \$(windows_logged $T/parca.log) -ge 3 ]" || fail "no windows"
stop_agent "$AGENT_PID" "$T/parca.log"
check --out "$T/parca" --agent-log "$T/parca.log" --service work --leaf hot_a --go-pprof
services=$("$PY" -c 'import json,sys; print(" ".join(sorted({json.loads(l)["service"] for l in open(sys.argv[1])})))' "$T/parca/deliveries.jsonl")
[ "$services" = work ] || fail "--comm '^work\$' delivered services: $services"
grep -q 'filtered out' "$T/parca.log" || fail "no window line"
grep -q 'grpc_status' "$T/parca.log" || fail "the gRPC UNAVAILABLE answer was not reported"
stop_pid "$WORK_PID"

note "otlp: --pid, zstd, resource attributes"
port=$(free_port)
start_receiver otlp otlp "$port"
start_work 6
start_agent "$T/otlp.log" --url "otlp://127.0.0.1:$port" -i 1 -F 99 --pid "$WORK_PID" \
	--label env=test
wait_for 15 "[ \$(windows_logged $T/otlp.log) -ge 3 ]" || fail "no windows"
stop_agent "$AGENT_PID" "$T/otlp.log"
check --out "$T/otlp" --agent-log "$T/otlp.log" --service work --leaf hot_a --leaf hot_b \
	--label env=test --label "hostname=$(hostname)"
stop_pid "$WORK_PID"

note "--cgroup: only the processes of one cgroup v2 subtree, named by --service-name cgroup"
v2=
for d in /sys/fs/cgroup/unified /sys/fs/cgroup; do
	[ "$(stat -f -c %T "$d" 2>/dev/null)" = cgroup2fs ] && { v2=$d; break; }
done
cg=cprof-agent-test-$$
if [ -n "$v2" ] && mkdir "$v2/$cg" 2>/dev/null; then
	CLEANUP_CGROUPS="$v2/$cg"
	port=$(free_port)
	start_receiver cgroup parca "$port"
	start_work 6
	echo "$WORK_PID" >"$v2/$cg/cgroup.procs" || fail "cannot move work into $v2/$cg"
	start_agent "$T/cgroup.log" --url "parca://127.0.0.1:$port" -i 1 -F 99 \
		--cgroup "$v2/$cg" --service-name cgroup,exe
	wait_for 15 "[ \$(windows_logged $T/cgroup.log) -ge 2 ]" || fail "no windows"
	stop_agent "$AGENT_PID" "$T/cgroup.log"
	stop_pid "$WORK_PID"
	check --out "$T/cgroup" --agent-log "$T/cgroup.log" --service "$cg" --leaf hot_a
	services=$("$PY" -c 'import json,sys; print(" ".join(sorted({json.loads(l)["service"] for l in open(sys.argv[1])})))' "$T/cgroup/deliveries.jsonl")
	[ "$services" = "$cg" ] || fail "--cgroup /$cg delivered services: $services"
else
	echo "(no writable cgroup v2 hierarchy here: --cgroup not exercised)"
fi

note "file://: one pprof per delta, read by go tool pprof"
start_work 4
start_agent "$T/file.log" --url "file://$T/files" -i 1 -F 99 --comm '^work$'
wait_for 15 "[ \$(windows_logged $T/file.log) -ge 2 ]" || fail "no windows"
stop_agent "$AGENT_PID" "$T/file.log"
nfiles=$(ls "$T/files" | grep -c '^work\..*\.pb\.gz$')
[ "$nfiles" -ge 2 ] || fail "expected work.*.pb.gz files, got: $(ls "$T/files")"
ls -a "$T/files" | grep -q '\.tmp$' && fail "temporary files left in $T/files"
HOME=$T go tool pprof -symbolize=none -top "$T"/files/work.*.pb.gz >"$T/top.txt" 2>&1 ||
	{ cat "$T/top.txt"; fail "go tool pprof cannot read the files"; }
grep -q hot_a "$T/top.txt" || { cat "$T/top.txt"; fail "hot_a is not in the files"; }
total=$(HOME=$T go tool pprof -symbolize=none -raw -sample_index=samples "$T"/files/*.pb.gz 2>/dev/null |
	awk '/^Samples:/{s=1; next} /^Locations/{s=0} s && $1 ~ /^[0-9]+$/ {n += $1} END {print n+0}')
counted=$(grep -o 'window [0-9]*: [0-9]* samples' "$T/file.log" | awk '{n += $3} END {print n+0}')
[ "$total" = "$counted" ] || fail "files hold $total samples, the agent counted $counted"
echo "file: $nfiles files, $total samples = counted"
echo "PASS"
