#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Start-up (issue 16): SIGTERM at 0, 50, 100 and 150 ms into the agent's
# start-up (timed from the moment it holds its spool's lock, while it reads a
# backlog of spooled profiles and before the BPF load) ends it with exit 0
# and a summary, never kills it, and loses no spooled profile; and the
# temporary files a killed run leaves (the spool's .tmp-<seq>, the file://
# backend's .NAME.XXXXXX.tmp) are deleted at the next start, and nothing else.
. "$(dirname "$0")/../agent/lib.sh"
require_bpf
BACKLOG=5000
down=$(free_port)	# nothing listens there: the backlog stays spooled

note "a backlog of $BACKLOG real spooled profiles"
"$CPROF" agent --url "pyroscope://127.0.0.1:$down" -i 1 -F 99 --spool-dir "$T/seed" \
	--shutdown-timeout 0.2 >"$T/seed.log" 2>&1 &
seed=$!
PIDS+=($seed)
wait_for 20 "[ \$(ls $T/seed 2>/dev/null | grep -c '\.spool$') -ge 2 ]" || { cat "$T/seed.log"; fail "nothing spooled"; }
kill -TERM "$seed"; wait "$seed"
"$PY" - "$T/seed" "$BACKLOG" <<'PYEOF' || fail "could not make the backlog"
import glob, os, sys
d, n = sys.argv[1], int(sys.argv[2])
recs = sorted(glob.glob(d + '/*.spool'))
data = [open(r, 'rb').read() for r in recs]
for r in recs:
    os.unlink(r)
for i in range(1, n + 1):	# the same deltas again and again: nobody receives them
    with open('%s/%016x.spool' % (d, i), 'wb') as f:
        f.write(data[i % len(data)])
PYEOF

holds_lock() {	# holds_lock PID: an flock of PID in /proc/locks
	local l
	while read -r l; do
		[[ $l =~ FLOCK\ +ADVISORY\ +WRITE\ +$1\  ]] && return 0
	done </proc/locks
	return 1
}

for ms in 0 50 100 150; do
	note "SIGTERM $ms ms into the start-up"
	rm -rf "$T/spool"
	cp -a "$T/seed" "$T/spool"
	"$CPROF" agent -v --url "pyroscope://127.0.0.1:$down" -i 1 --comm '^nothing$' \
		--spool-dir "$T/spool" --shutdown-timeout 0.5 >"$T/term$ms.log" 2>&1 &
	pid=$!
	PIDS+=($pid)
	deadline=$(( $(date +%s) + 20 ))
	until holds_lock "$pid"; do
		kill -0 "$pid" 2>/dev/null || { cat "$T/term$ms.log"; fail "the agent ended before locking its spool"; }
		[ "$(date +%s)" -lt "$deadline" ] || fail "the agent never locked its spool"
	done
	[ "$ms" = 0 ] || sleep "0.$(printf %03d "$ms")"
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	[ "$rc" = 0 ] || { cat "$T/term$ms.log"; fail "SIGTERM $ms ms into the start-up: exit $rc (killed: $([ $rc -gt 128 ] && kill -l $((rc - 128))))"; }
	grep -q 'stopped' "$T/term$ms.log" || { cat "$T/term$ms.log"; fail "no summary"; }
	n=$(ls "$T/spool" | grep -c '\.spool$')
	[ "$n" = "$BACKLOG" ] || { cat "$T/term$ms.log"; fail "$n of $BACKLOG spooled profiles left"; }
	[ -z "$(ls -A "$T/spool" | grep '^\.tmp-')" ] || fail "temporary files left in the spool"
	echo "exit 0: $(grep -o 'stopped[^:]*' "$T/term$ms.log" | head -n1)"
done

note "temporaries of a killed run are deleted at the next start"
mkdir -p "$T/files"
cp -a "$T/seed/0000000000000001.spool" "$T/spool/.tmp-00000000000fffff"
echo half >"$T/files/.work-123.pb.gz.AbC123.tmp"
echo mine >"$T/files/.notes.txt.tmp"		# not a name cprof makes
echo keep >"$T/files/.work-9.pb.gz.Nobody.tmp"
chown 65534:65534 "$T/files/.work-9.pb.gz.Nobody.tmp"	# not ours
touch -d '1 hour ago' "$T/files"/.*.tmp "$T/spool/.tmp-00000000000fffff"
ln -s /etc/passwd "$T/files/.link.pb.gz.Link01.tmp"
start_agent "$T/next.log" --url "file://$T/files" -i 1 --comm '^nothing$' --spool-dir "$T/spool2"
stop_agent "$AGENT_PID" "$T/next.log"
rm -rf "$T/spool2"
start_agent "$T/next2.log" --url "file://$T/files" -i 1 --comm '^nothing$' --spool-dir "$T/spool" \
	--shutdown-timeout 0.5
stop_agent "$AGENT_PID" "$T/next2.log"
[ ! -e "$T/files/.work-123.pb.gz.AbC123.tmp" ] || fail "the file:// temporary was not deleted"
grep -q "deleted 1 temporary files a killed earlier run left in $T/files" "$T/next.log" ||
	{ cat "$T/next.log"; fail "the file:// sweep is not said"; }
[ ! -e "$T/spool/.tmp-00000000000fffff" ] || fail "the spool temporary was not deleted"
grep -q "deleted 1 temporary files a killed earlier run left in the spool" "$T/next2.log" ||
	{ cat "$T/next2.log"; fail "the spool sweep is not said"; }
for f in .notes.txt.tmp .work-9.pb.gz.Nobody.tmp .link.pb.gz.Link01.tmp; do
	[ -e "$T/files/$f" ] || [ -L "$T/files/$f" ] || fail "$f was deleted, and is not cprof's"
done
echo "PASS"
