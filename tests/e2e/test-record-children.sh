#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --pid and child processes. The target is a shell that sleeps in wait while
# its children work: one busy child it had before cprof started, and a
# stream of short workers it forks one after another. --pid alone profiles
# the shell only (a handful of samples) and says so with a hint naming
# --follow-children; --pid --follow-children also profiles the child it had
# (found in /proc at the start) and the workers it forks (followed from the
# kernel's fork events), with no hint. Needs root and BPF.
. "$(dirname "$0")/../agent/lib.sh"
require_bpf
require_receiver

BUSY='i=0; while [ $i -lt 40000 ]; do i=$((i+1)); done'
# the target: a busy child from the start, then workers of ~0.1 s each
sh -c "sh -c 'echo \$\$ >$T/first; while :; do :; done' &
	while :; do sh -c 'echo \$\$ >>$T/later; $BUSY'; done" &
TARGET=$!
PIDS+=($TARGET)
wait_for 5 "[ -s $T/first ]" || fail "the target did not start its first child"
FIRST=$(cat "$T/first")
PIDS+=($FIRST)
sleep 0.3

# run NAME [options...]: cprof --pid TARGET for 3 s; pid samples in $T/NAME.txt
run() {
	local name=$1; shift
	"$CPROF" --pid "$TARGET" -F 199 -d 3 -o "$T/$name.pb.gz" "$@" 2>"$T/$name.err" ||
		{ cat "$T/$name.err"; fail "$name: exit $?"; }
	pprof_pids "$T/$name.pb.gz" >"$T/$name.txt" || fail "$name: reading the profile"
}

# later_samples FILE: "SAMPLES WORKERS" of the shell's workers in FILE
later_samples() {
	local n=0 w=0 p k
	for p in $(sort -u "$T/later"); do
		k=$(pid_samples "$p" "$1")
		n=$((n + k))
		[ "$k" -gt 0 ] && w=$((w + 1))
	done
	echo $n $w
}

note "--pid alone: the shell only, and a hint"
run alone
shell=$(pid_samples "$TARGET" "$T/alone.txt")
total=$(pid_samples total "$T/alone.txt")
echo "--pid $TARGET: $total samples, $shell of the shell, $(pid_samples "$FIRST" "$T/alone.txt") of its first child"
[ "$total" = "$shell" ] || fail "--pid alone profiled other processes: $(cat "$T/alone.txt")"
grep -q "^cprof: hint: pid $TARGET used [0-9.]* s of CPU while its child processes, which --pid does not profile, used [0-9.]* s: add --follow-children\$" \
	"$T/alone.err" || { cat "$T/alone.err"; fail "no hint naming --follow-children"; }
echo "ok   --pid alone: $(grep hint "$T/alone.err")"

note "--pid --follow-children: the child it had and the workers it forks"
run follow --follow-children
first=$(pid_samples "$FIRST" "$T/follow.txt")
read -r later workers < <(later_samples "$T/follow.txt")
total=$(pid_samples total "$T/follow.txt")
echo "--pid $TARGET --follow-children: $total samples, $first of the child it had, $later of $workers workers"
# Without following each has none; with a CPU to itself the busy child
# alone has ~600 (3 s at 199 Hz), far fewer on a loaded machine.
[ "$first" -ge 10 ] || fail "the child the target had at the start: $first samples"
[ "$later" -ge 10 ] || fail "the workers forked while profiled: $later samples"
# at most one or two were alive at the start (found in /proc): the others
# were followed as they were forked
[ "$workers" -ge 3 ] || fail "only $workers workers have samples"
[ $((first + later + $(pid_samples "$TARGET" "$T/follow.txt"))) = "$total" ] ||
	fail "samples of processes that are not the target's: $(cat "$T/follow.txt")"
grep -q hint "$T/follow.err" && fail "a hint with --follow-children: $(grep hint "$T/follow.err")"
echo "ok   --follow-children: existing and new children profiled, no hint"

note "--follow-children needs --pid"
"$CPROF" -a --follow-children -d 1 -o "$T/x.pb.gz" 2>"$T/usage.err"
rc=$?
[ "$rc" = 2 ] || { cat "$T/usage.err"; fail "-a --follow-children: exit $rc, want 2"; }
grep -q -- "--follow-children applies to --pid" "$T/usage.err" || { cat "$T/usage.err"; fail "usage message"; }
echo "ok   --follow-children without --pid: exit 2"
echo "PASS"
