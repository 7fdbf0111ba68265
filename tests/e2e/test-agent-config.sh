#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What an operator touches: usage errors (exit 2, a message naming the
# problem, secrets refused in URLs), the config file with the same names as
# the flags and SIGHUP reloading it (a broken file keeps the running
# configuration), the Prometheus metrics endpoint, and TLS with certificate
# verification on by default (--tls-ca to trust a private CA).
. "$(dirname "$0")/../agent/lib.sh"
[ -x "$CPROF" ] || fail "$CPROF is not built"

note "usage errors"
usage() {	# usage EXPECTED_TEXT ARGS...: exit 2 and the text on stderr
	local want=$1 rc; shift
	"$CPROF" agent "$@" >"$T/usage.out" 2>&1
	rc=$?
	[ "$rc" = 2 ] || { cat "$T/usage.out"; fail "cprof agent $* exited $rc, want 2"; }
	grep -q -- "$want" "$T/usage.out" || { cat "$T/usage.out"; fail "cprof agent $*: no '$want'"; }
}
usage "no backend" -i 10
usage "unknown scheme" --url http://127.0.0.1:4040
usage "credentials do not go in the URL" --url pyroscope://user:pw@127.0.0.1:4040
usage "port must be" --url parca://127.0.0.1:99999
usage "NAME=VALUE" --url file:///tmp/x --label bad-name=1
usage "NAME=VALUE" --url file:///tmp/x --label __name__=x
usage "frequency must be" --url file:///tmp/x -F 0
usage "interval must be" --url file:///tmp/x --interval 0.1
usage "service-name" --url file:///tmp/x --service-name container,nonsense
usage "not a valid regular expression" --url file:///tmp/x --comm '('
usage "unknown option" --url file:///tmp/x --token abc
printf 'url = file:///tmp/x\nfrequency = 19\nbogus = 1\n' >"$T/bad.conf"
usage "bad.conf:3: unknown option 'bogus'" --config "$T/bad.conf"
"$CPROF" agent --help | grep -q -- '--spool-max-bytes' || fail "--help lacks --spool-max-bytes"

require_bpf
require_receiver

note "config file and SIGHUP"
port=$(free_port)
mport=$(free_port)
M=http://127.0.0.1:$mport/metrics
start_receiver hup pyroscope "$port"
cat >"$T/agent.conf" <<EOF
# the same names as the flags
url = pyroscope://127.0.0.1:$port
interval = 1
frequency = 99
comm = ^work\$
label = env=before
label = team=profiling
metrics-addr = 127.0.0.1:$mport
EOF
start_work 12
start_agent "$T/hup.log" --config "$T/agent.conf" --label team=flags
wait_for 15 "[ \$(windows_logged $T/hup.log) -ge 2 ]" || fail "no windows"
sed -i 's/env=before/env=after/' "$T/agent.conf"
kill -HUP "$AGENT_PID"
wait_for 10 "grep -q 'configuration reloaded' $T/hup.log" || { cat "$T/hup.log"; fail "no reload"; }
n=$(windows_logged "$T/hup.log")
wait_for 10 "[ \$(windows_logged $T/hup.log) -ge $((n + 2)) ]" || fail "no windows after the reload"
echo 'frequency = many' >>"$T/agent.conf"
kill -HUP "$AGENT_PID"
wait_for 10 "grep -q 'keeping the running configuration' $T/hup.log" || { cat "$T/hup.log"; fail "a bad reload was not refused"; }
kill -0 "$AGENT_PID" || fail "a bad reload stopped the agent"
curl -s --max-time 5 "$M" >"$T/metrics.txt"
curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$mport/nope" >"$T/404.txt"
stop_agent "$AGENT_PID" "$T/hup.log"
check --out "$T/hup" --agent-log "$T/hup.log" --service work --label team=flags
"$PY" - "$T/hup/deliveries.jsonl" <<'EOF' || fail "the reload did not change the labels"
import json, sys
envs = [json.loads(l)['labels'].get('env') for l in open(sys.argv[1])]
first_after = envs.index('after')
assert 'before' in envs[:first_after] and set(envs[first_after:]) == {'after'}, envs
print('reload: env labels', envs)
EOF
for m in cprof_samples_total cprof_windows_total cprof_profiled_samples_total \
	'cprof_drops_total{reason="counts_map_full"}' cprof_uploaded_profiles_total \
	cprof_uploaded_bytes_total 'cprof_upload_failures_total{reason="http_5xx"}' \
	cprof_spool_bytes cprof_spool_files cprof_spool_dropped_profiles_total \
	process_cpu_seconds_total process_resident_memory_bytes cprof_config_reloads_total; do
	grep -q "^$m " "$T/metrics.txt" || fail "metric $m missing"
done
[ "$(awk '$1 == "cprof_config_reloads_total" {print $2}' "$T/metrics.txt")" = 1 ] || fail "reloads not counted"
[ "$(awk '$1 == "cprof_config_reload_failures_total" {print $2}' "$T/metrics.txt")" = 1 ] || fail "failed reload not counted"
[ "$(cat "$T/404.txt")" = 404 ] || fail "unknown path answered $(cat "$T/404.txt")"
grep -q '^# TYPE cprof_samples_total counter' "$T/metrics.txt" || fail "no TYPE lines"
stop_pid "$WORK_PID"

note "TLS: verified by default, --tls-ca trusts a private CA"
command -v openssl >/dev/null || skip "openssl is not installed"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 || fail "openssl"
port=$(free_port)
mport=$(free_port)
start_receiver tls otlp "$port" --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
start_work 6
start_agent "$T/untrusted.log" --url "otlp+https://127.0.0.1:$port" -i 1 -F 99 --comm '^work$' \
	--retry-backoff-min 0.1 --retry-backoff-max 0.3 --metrics-addr "127.0.0.1:$mport"
wait_for 10 "[ \"\$(metric_value http://127.0.0.1:$mport/metrics 'cprof_upload_failures_total{reason=\"tls\"}')\" -ge 1 ] 2>/dev/null" ||
	{ cat "$T/untrusted.log"; fail "an untrusted certificate was not refused"; }
stop_pid "$AGENT_PID"
[ ! -s "$T/tls/deliveries.jsonl" ] || fail "profiles were sent to an unverified server"
start_agent "$T/tls.log" --url "otlp+https://127.0.0.1:$port" -i 1 -F 99 --comm '^work$' \
	--tls-ca "$T/cert.pem"
wait_for 15 "[ \$(windows_logged $T/tls.log) -ge 2 ]" || fail "no windows"
stop_agent "$AGENT_PID" "$T/tls.log"
check --out "$T/tls" --agent-log "$T/tls.log" --service work --leaf hot_a
echo "PASS"
