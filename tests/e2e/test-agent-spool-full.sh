#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A full disk under the spool does not lose profiles (issue 16): with the
# spool directory on a 1 MiB tmpfs filled to the last byte and the backend
# up, every window is delivered all the same (held in memory, sent from
# there), the log says why once, the metrics and the exit summary count what
# was held in memory, and nothing is dropped or lost; once there is room
# again, profiles go to the directory again.
. "$(dirname "$0")/../agent/lib.sh"
require_bpf
require_receiver
FAST=(-F 99 --comm '^work$' --retry-backoff-min 0.1 --retry-backoff-max 0.4)

mkdir -p "$T/spool"
mount -t tmpfs -o size=1m,mode=0700 cprof-spool-test "$T/spool" 2>/dev/null ||
	skip "cannot mount a tmpfs (needs CAP_SYS_ADMIN)"
# the agent holds the mount busy: kill what was started before unmounting
trap 'for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	umount "$T/spool" 2>/dev/null; cleanup' EXIT
: >"$T/spool/.lock"	# the lock file needs no data block, but make sure it exists
dd if=/dev/zero of="$T/spool/fill" bs=4k 2>/dev/null
: >>"$T/spool/fill"
echo x >"$T/spool/probe" 2>/dev/null && fail "the tmpfs is not full"
rm -f "$T/spool/probe"

note "a full spool directory, the backend up"
port=$(free_port)
mport=$(free_port)
start_receiver full pyroscope "$port"
start_work 12
start_agent "$T/full.log" --url "pyroscope://127.0.0.1:$port" -i 1 "${FAST[@]}" \
	--spool-dir "$T/spool" --metrics-addr "127.0.0.1:$mport"
wait_for 20 "[ \$(windows_logged $T/full.log) -ge 5 ]" || { cat "$T/full.log"; fail "no windows"; }
held=$(metric_value "http://127.0.0.1:$mport/metrics" cprof_spool_held_in_memory_profiles_total)
mdrop=$(metric_value "http://127.0.0.1:$mport/metrics" cprof_spool_memory_dropped_profiles_total)
[ "${held:-0}" -ge 4 ] || { curl -s "http://127.0.0.1:$mport/metrics" | grep spool; fail "metrics: $held profiles held in memory"; }
[ "$mdrop" = 0 ] || fail "metrics: $mdrop profiles dropped from memory"
note "room again: the spool directory takes the next profiles"
rm -f "$T/spool/fill"
wait_for 15 "grep -q 'can be written again' $T/full.log" || { cat "$T/full.log"; fail "no recovery said"; }
wait_for 15 "[ \"\$(metric_value http://127.0.0.1:$mport/metrics cprof_spool_written_profiles_total)\" -ge 2 ] 2>/dev/null" ||
	fail "nothing written to the spool directory once it had room"
stop_agent "$AGENT_PID" "$T/full.log"
[ "$(grep -c 'cannot write to the spool' "$T/full.log")" = 1 ] ||
	{ cat "$T/full.log"; fail "the full disk is not said exactly once"; }
grep -q "No space left on device" "$T/full.log" || fail "the cause is not named"
grep -q 'lost' "$T/full.log" && ! grep -q ', 0 lost$' "$T/full.log" && { cat "$T/full.log"; fail "profiles lost"; }
line=$(grep -o 'spool: [0-9]* profiles written to [^,]*, [0-9]* held in memory.*' "$T/full.log") ||
	{ cat "$T/full.log"; fail "no spool line in the exit summary"; }
echo "$line"
echo "$line" | grep -q 'memory queue full: 0 profiles (0 samples)$' || fail "profiles dropped from memory"
check --out "$T/full" --agent-log "$T/full.log" --service work --leaf hot_a --min-deltas 5
[ -z "$(ls -A "$T/spool" | grep -v '^\.lock$')" ] || { ls -la "$T/spool"; fail "files left in the spool"; }
echo "PASS"
