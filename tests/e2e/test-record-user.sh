#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `cprof --user USER -- CMD` runs CMD as USER while cprof keeps root: the
# command writes its ids into a directory anyone may write to, and its file
# belongs to nobody; its samples are in the profile all the same. An
# unknown user is a usage error (exit 2, the command never runs); a cprof
# that is not root asking for another user is refused (exit 1, saying why).
# Needs root and BPF.
set -u
OUT=${OUT:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
case $OUT in /*) ;; *) OUT=$ROOT/$OUT ;; esac
CPROF=$OUT/cprof
T=$(mktemp -d "${TMPDIR:-/tmp}/cprof-record-user.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (BPF)"; exit 77; }
nobody_uid=$(id -u nobody 2>/dev/null) || { echo "SKIP: no user nobody"; exit 77; }
WORK="i=0; while [ \$i -lt 600000 ]; do i=\$((i+1)); done"
chmod 0777 "$T"	# the command, as nobody, writes here

"$CPROF" -q -F 199 -o "$T/user.folded" --user nobody -- \
	sh -c "id -u >$T/uid; id -G >$T/groups; echo \$HOME >$T/home; $WORK" 2>"$T/user.err" ||
	{ cat "$T/user.err"; fail "--user nobody: exit $?"; }
[ "$(cat "$T/uid")" = "$nobody_uid" ] || fail "the command ran as uid $(cat "$T/uid"), not nobody's $nobody_uid"
[ "$(stat -c %u "$T/uid")" = "$nobody_uid" ] || fail "its file belongs to uid $(stat -c %u "$T/uid")"
[ "$(cat "$T/groups")" = "$(id -G nobody)" ] || fail "groups $(cat "$T/groups"), want nobody's $(id -G nobody)"
[ "$(cat "$T/home")" = "$(getent passwd nobody | cut -d: -f6)" ] || fail "HOME is $(cat "$T/home")"
samples=$(awk '$1 ~ /^sh;/ { n += $NF } END { print n + 0 }' "$T/user.folded")
echo "--user nobody: uid $(cat "$T/uid"), groups $(cat "$T/groups"), $samples samples of sh"
[ "$samples" -ge 20 ] || { cat "$T/user.folded"; fail "only $samples samples of the command"; }
echo "ok   --user nobody: the command runs as nobody and is profiled"

"$CPROF" -q -o "$T/no.pb.gz" --user "cprof-no-such-user-$$" -- touch "$T/ran" 2>"$T/unknown.err"
rc=$?
[ "$rc" = 2 ] || { cat "$T/unknown.err"; fail "unknown user: exit $rc, want 2"; }
grep -q "unknown user 'cprof-no-such-user-$$'" "$T/unknown.err" || { cat "$T/unknown.err"; fail "unknown user: message"; }
grep -q "Try 'cprof --help'" "$T/unknown.err" || fail "unknown user: no hint"
[ ! -e "$T/ran" ] || fail "unknown user: the command ran"
echo "ok   unknown user: exit 2 with a hint, nothing run"

# cprof as nobody (a copy nobody can run) asking for root
mkdir "$T/bin" && cp "$CPROF" "$T/bin/cprof" && chmod 755 "$T/bin" "$T/bin/cprof"
command -v setpriv >/dev/null || { echo "SKIP: no setpriv for the non-root case"; exit 77; }
setpriv --reuid="$nobody_uid" --regid="$(id -g nobody)" --clear-groups \
	"$T/bin/cprof" -q -o "$T/root.pb.gz" --user root -- touch "$T/ran" 2>"$T/notroot.err"
rc=$?
[ "$rc" = 1 ] || { cat "$T/notroot.err"; fail "not root: exit $rc, want 1"; }
grep -q -- "--user root: running a command as another user needs root (cprof runs as uid $nobody_uid)" \
	"$T/notroot.err" || { cat "$T/notroot.err"; fail "not root: message"; }
[ ! -e "$T/ran" ] || fail "not root: the command ran"
echo "ok   not root: refused with exit 1 naming the cause"
echo "PASS"
