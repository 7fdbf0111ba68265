#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The spool directory must be cprof's own (issue 15): a directory another
# user owns, with links planted at .lock and .tmp-<seq> towards root's files,
# is refused at start with a message naming the directory and the fix, exit
# 1, and the files the links point to are left exactly as they were; so is a
# directory others can write; a missing one is created private (0700).
. "$(dirname "$0")/../agent/lib.sh"
require_bpf

note "a spool directory owned by nobody, links planted in it"
mkdir -p "$T/evil" "$T/victims"
for i in 1 2 3 4 5 6 7 8; do echo "root's file $i" >"$T/victims/$i"; done
ln -s "$T/victims/1" "$T/evil/.lock"
for i in 2 3 4 5 6 7 8; do ln -s "$T/victims/$i" "$T/evil/.tmp-000000000000000$((i - 1))"; done
chown -h 65534:65534 "$T/evil" "$T/evil/.lock" "$T/evil"/.tmp-*
chmod 0755 "$T/evil"
before=$(cd "$T/victims" && stat -c '%n %s %Y' * && cat *)
timeout 30 "$CPROF" agent --url "file://$T/files" -i 1 --spool-dir "$T/evil" >"$T/evil.log" 2>&1
rc=$?
[ "$rc" = 1 ] || { cat "$T/evil.log"; fail "the agent exited $rc with a foreign spool directory, want 1"; }
grep -q "refusing the spool directory $T/evil: it is owned by uid 65534, not by uid 0" "$T/evil.log" ||
	{ cat "$T/evil.log"; fail "no message naming the directory and its owner"; }
grep -q "chmod 0700" "$T/evil.log" || { cat "$T/evil.log"; fail "the message does not say how to fix it"; }
after=$(cd "$T/victims" && stat -c '%n %s %Y' * && cat *)
[ "$before" = "$after" ] || fail "files behind the planted links changed"
[ ! -e "$T/files" ] || [ -z "$(ls -A "$T/files")" ] || fail "the agent wrote profiles"
echo "refused: $(grep -o 'refusing the spool directory [^:]*: it is [^,]*' "$T/evil.log" | head -n1)"

note "a spool directory others can write"
mkdir -p "$T/open"
chmod 0777 "$T/open"
timeout 30 "$CPROF" agent --url "file://$T/files" -i 1 --spool-dir "$T/open" >"$T/open.log" 2>&1
rc=$?
[ "$rc" = 1 ] || { cat "$T/open.log"; fail "the agent exited $rc with a world-writable spool, want 1"; }
grep -q "refusing the spool directory $T/open: it is writable by group or others (mode 0777)" \
	"$T/open.log" || { cat "$T/open.log"; fail "no message naming the mode"; }
[ -z "$(ls -A "$T/open")" ] || fail "the agent created files in a refused directory"

note "a missing spool directory is created private"
start_agent "$T/new.log" --url "file://$T/files" -i 1 --spool-dir "$T/new/spool" --comm '^nothing$'
stop_agent "$AGENT_PID" "$T/new.log"
[ "$(stat -c %a "$T/new/spool")" = 700 ] || fail "the spool was created with mode $(stat -c %a "$T/new/spool")"
[ "$(stat -c %a "$T/new")" = 700 ] || fail "its parent was created with mode $(stat -c %a "$T/new")"
echo "PASS"
