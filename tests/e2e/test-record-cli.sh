#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What `cprof record` says about its output and targets (issue 16): -o DIR
# fails before sampling; -o NAME.SVG / NAME.folded write what they say (any
# case) and a -f that disagrees is a usage error; with -o - the child's stdout
# goes to stderr and the profile on stdout stays a clean pprof; --pid of a
# thread profiles its process with a note; with only CAP_BPF and CAP_PERFMON
# (the README's minimum, as user nobody) kallsyms reads as zeros and the
# summary and the profile's comments name CAP_SYSLOG. Needs root and BPF.
set -u
OUT=${OUT:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
case $OUT in /*) ;; *) OUT=$ROOT/$OUT ;; esac
CPROF=$OUT/cprof
T=$(mktemp -d "${TMPDIR:-/tmp}/cprof-record-cli.XXXXXX")
spin_pid=
trap '[ -n "$spin_pid" ] && kill $spin_pid 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (BPF)"; exit 77; }
WORK="i=0; while [ \$i -lt 200000 ]; do i=\$((i+1)); done"

if ! "$CPROF" -q -d 1 -o "$T/probe.pb.gz" -- sh -c "$WORK" 2>"$T/probe.err"; then
	echo "SKIP: BPF denied here: $(cat "$T/probe.err")"; exit 77
fi
HAVE_GO=; command -v go >/dev/null && HAVE_GO=1
pprof() { HOME=$T go tool pprof -symbolize=none "$@"; }

# -o DIR: refused at once, before the command runs.
mkdir "$T/dir"
start=$(date +%s)
"$CPROF" -o "$T/dir" -- sh -c "touch $T/ran; sleep 5" 2>"$T/dir.err"
rc=$?
[ "$rc" -eq 1 ] || fail "-o DIR: exit $rc, want 1"
grep -q "cannot write $T/dir: Is a directory" "$T/dir.err" || { cat "$T/dir.err"; fail "-o DIR: message"; }
[ ! -e "$T/ran" ] || fail "-o DIR: the command ran first"
[ $(( $(date +%s) - start )) -lt 3 ] || fail "-o DIR: not refused before sampling"
echo "-o DIR: refused before sampling"

# The ending chooses the format, in any case.
"$CPROF" -q -d 1 -o "$T/x.SVG" -- sh -c "$WORK" || fail "-o x.SVG: exit $?"
head -c 5 "$T/x.SVG" | grep -q '<?xml' || fail "-o x.SVG did not write an SVG"
"$CPROF" -q -d 1 -o "$T/x.folded" -- sh -c "$WORK" || fail "-o x.folded: exit $?"
grep -Eq '^sh;.* [0-9]+$' "$T/x.folded" || { head -c 300 "$T/x.folded"; fail "-o x.folded did not write folded stacks"; }
"$CPROF" -q -d 1 -o "$T/x.pb.gz" -- sh -c "$WORK" || fail "-o x.pb.gz: exit $?"
[ "$(head -c 2 "$T/x.pb.gz" | od -An -tx1 | tr -d ' ')" = 1f8b ] || fail "-o x.pb.gz is not gzip"
# A -f that contradicts the ending: usage error, nothing run or written.
"$CPROF" -f pprof -o "$T/y.svg" -- sh -c "touch $T/ran2" 2>"$T/conflict.err"
rc=$?
[ "$rc" -eq 2 ] || fail "-f pprof -o y.svg: exit $rc, want 2"
grep -q -- '-f pprof, but -o .*y.svg names svg output' "$T/conflict.err" || { cat "$T/conflict.err"; fail "conflict message"; }
grep -q "Try 'cprof --help'" "$T/conflict.err" || fail "conflict: no hint"
[ ! -e "$T/ran2" ] && [ ! -e "$T/y.svg" ] || fail "conflict: ran or wrote"
echo "formats: by ending, any case; -f conflict exits 2"

# -o -: the child's stdout goes to stderr, the profile stays clean.
"$CPROF" -o - -- sh -c "echo CHILD-SAYS-HELLO; $WORK; echo CHILD-SAYS-BYE" >"$T/stdout.pb.gz" 2>"$T/stdout.err"
rc=$?
[ "$rc" -eq 0 ] || { cat "$T/stdout.err"; fail "-o -: exit $rc"; }
grep -q CHILD-SAYS "$T/stdout.pb.gz" && fail "-o -: the child's output is in the profile"
[ "$(grep -c CHILD-SAYS "$T/stdout.err")" -eq 2 ] || fail "-o -: the child's output is not on stderr"
[ "$(grep -c 'the standard output of sh goes to standard error' "$T/stdout.err")" -eq 1 ] ||
	fail "-o -: no (single) note"
if [ -n "$HAVE_GO" ]; then
	pprof -raw "$T/stdout.pb.gz" >"$T/raw.txt" 2>&1 || { head "$T/raw.txt"; fail "-o -: go tool pprof cannot read it"; }
else
	"$CPROF" flamegraph "$T/stdout.pb.gz" --format folded -o "$T/stdout.folded" ||
		fail "-o -: the profile does not decode"
fi
echo "-o -: clean profile, child output on stderr"

# --pid of a thread: its process is profiled, with a note.
python3 -c '
import threading, time
def spin():
    end = time.time() + 20
    while time.time() < end: pass
t = threading.Thread(target=spin); t.start(); t.join()' &
spin_pid=$!
tid=
for _ in $(seq 50); do
	tid=$(ls "/proc/$spin_pid/task" 2>/dev/null | grep -vx "$spin_pid" | head -n1)
	[ -n "$tid" ] && break
	sleep 0.1
done
[ -n "$tid" ] || fail "no second thread in the spinner"
"$CPROF" --pid "$tid" -d 1 -o "$T/tid.folded" 2>"$T/tid.err" || { cat "$T/tid.err"; fail "--pid TID: exit $?"; }
grep -q "$tid is a thread of process $spin_pid: profiling all of process $spin_pid" "$T/tid.err" ||
	{ cat "$T/tid.err"; fail "--pid TID: no note"; }
n=$(awk '{ s += $NF } END { print s + 0 }' "$T/tid.folded")
[ "$n" -ge 30 ] || fail "--pid TID: $n samples of a thread spinning for 1 s"
kill $spin_pid 2>/dev/null; wait $spin_pid 2>/dev/null; spin_pid=
echo "--pid TID: $n samples, with a note"

# Only CAP_BPF and CAP_PERFMON, as user nobody: CAP_SYSLOG named.
if command -v setpriv >/dev/null && setpriv --help 2>&1 | grep -q ambient-caps; then
	mkdir "$T/nobody" && cp "$CPROF" "$T/nobody/cprof" && chown 65534 "$T/nobody" && chmod 755 "$T" "$T/nobody"
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,+bpf,+perfmon \
		--ambient-caps=-all,+bpf,+perfmon --bounding-set=-all,+bpf,+perfmon -- \
		"$T/nobody/cprof" -d 1 -o "$T/nobody/caps.pb.gz" -- sh -c "$WORK" \
		2>"$T/caps.err"
	rc=$?
	[ "$rc" -eq 0 ] || { cat "$T/caps.err"; fail "CAP_BPF+CAP_PERFMON: exit $rc"; }
	grep -q 'kernel frames are unnamed: .*CAP_SYSLOG' "$T/caps.err" || { cat "$T/caps.err"; fail "no CAP_SYSLOG line in the summary"; }
	if [ -n "$HAVE_GO" ]; then
		pprof -comments "$T/nobody/caps.pb.gz" 2>/dev/null | grep -q 'CAP_SYSLOG' ||
			fail "no CAP_SYSLOG comment in the profile"
	fi
	# As root (CAP_SYSLOG), no such line.
	"$CPROF" -d 1 -o "$T/root.pb.gz" -- sh -c "$WORK" 2>"$T/root.err" || fail "root run"
	grep -q CAP_SYSLOG "$T/root.err" && fail "CAP_SYSLOG named although kallsyms is readable"
	echo "CAP_BPF+CAP_PERFMON: CAP_SYSLOG named"
else
	echo "NOTE: setpriv without --ambient-caps: capability case not run"
fi
echo PASS
