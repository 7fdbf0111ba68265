#!/bin/bash
# SPDX-License-Identifier: MIT
# A hint per runtime when JIT code ends most stacks (issue 14): Java without
# -XX:+PreserveFramePointer stops after its first JIT frame in ~98 % of the
# stacks; cprof record must say so with the flag to use, on stderr and as a
# profile comment, and say nothing once the flag is given; the agent says
# it once in its log, however many windows it closes. With the perf map
# the JVM writes as it exits (-XX:+DumpPerfMapAtExit), the Java methods are
# named (unwinding while it ran must not have put off the look for the map).
#
#   OUT=build bash tests/e2e/test-runtime-hint.sh
set -u
OUT=${OUT:-build}
CPROF=$OUT/cprof
T=$OUT/test-output/runtime-hint
rm -rf "$T" && mkdir -p "$T"
fail=0

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (BPF and perf events)"
	exit 77
fi
for tool in go java javac; do
	if ! command -v $tool >/dev/null; then
		echo "SKIP: $tool is not installed"
		exit 77
	fi
done

cat >"$T/Hot.java" <<'JAVA'
public class Hot {
    static long c(long n) { long s = 0; for (long i = 0; i < n; i++) s += (i * i) % 7; return s; }
    static long b(long n) { return c(n); }
    static long a(long n) { return b(n); }
    public static void main(String[] args) {
        long end = System.currentTimeMillis() + 1000L * Long.parseLong(args[0]);
        long t = 0;
        while (System.currentTimeMillis() < end) t += a(100000);
        System.out.println(t > 0 ? "done" : "?");
    }
}
JAVA
javac -d "$T" "$T/Hot.java" || { echo "FAIL: javac"; exit 1; }

run() {	# NAME JAVA-FLAGS...
	local name=$1; shift
	"$CPROF" -F 499 -o "$T/$name.pb.gz" -- java "$@" -cp "$T" Hot 3 >"$T/$name.out" 2>"$T/$name.err" ||
		{ echo "FAIL $name: cprof failed: $(tail -1 "$T/$name.err")"; fail=1; return 1; }
	go tool pprof -comments "$T/$name.pb.gz" >"$T/$name.comments" 2>/dev/null
}

if run plain; then
	grep "hint:" "$T/plain.err"
	grep -q "hint: .* of Java stacks end in JIT code: run java with -XX:+PreserveFramePointer" "$T/plain.err" ||
		{ echo "FAIL: no Java hint on stderr"; grep "cprof:" "$T/plain.err"; fail=1; }
	grep -q "hint: .* of Java stacks end in JIT code: .*-XX:+PreserveFramePointer" "$T/plain.comments" ||
		{ echo "FAIL: no Java hint in the profile's comments"; fail=1; }
fi
if run preserve -XX:+PreserveFramePointer -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit; then
	grep "user stacks" "$T/preserve.err"
	if grep -q "hint:" "$T/preserve.err" "$T/preserve.comments"; then
		echo "FAIL: a hint although the stacks were whole: $(grep -h hint: "$T/preserve.err")"
		fail=1
	fi
	go tool pprof -symbolize=none -top "$T/preserve.pb.gz" >"$T/preserve.top" 2>/dev/null
	pct=$(awk '/ Hot\.[abc]\(long\)$/ { sub("%", "", $2); s += $2 } END { printf "%d", s }' "$T/preserve.top")
	echo "Java methods Hot.a/b/c named in ${pct} % of samples"
	[ "$pct" -ge 80 ] || { echo "FAIL: Java methods named in ${pct} % of samples, want >= 80 %"; fail=1; }
fi
# the agent says it too, in its log, once however many windows it closes
agent_run() {	# NAME JAVA-FLAGS...
	local name=$1 j; shift
	java "$@" -cp "$T" Hot 8 >"$T/$name.out" 2>&1 &
	j=$!
	sleep 0.5
	timeout 12 "$CPROF" agent --url "file://$PWD/$T/$name-out" -i 1 -p $j \
		--spool-dir "$PWD/$T/$name-spool" >"$T/$name.log" 2>&1
	wait $j
	echo "agent $name: $(grep -c "window" "$T/$name.log") windows logged;" \
		"$(ls "$T/$name-out" 2>/dev/null | wc -l) deltas; hints: $(grep -c "hint:" "$T/$name.log")"
}
agent_run agent-plain
n=$(grep -c "hint: .* of Java stacks end in JIT code: run java with -XX:+PreserveFramePointer" \
	"$T/agent-plain.log")
if [ "$n" != 1 ] || [ "$(ls "$T/agent-plain-out" | wc -l)" -lt 3 ]; then
	echo "FAIL: want the Java hint once in the agent's log over >= 3 deltas, got it $n times:"
	tail -5 "$T/agent-plain.log"
	fail=1
fi
agent_run agent-preserve -XX:+PreserveFramePointer
if grep -q "hint:" "$T/agent-preserve.log"; then
	echo "FAIL: the agent hints although the stacks were whole: $(grep hint: "$T/agent-preserve.log")"
	fail=1
fi
# the JVM's perf maps: remove the ones this test made
grep -lsE " Hot\.[abc]\(long\)" /tmp/perf-*.map 2>/dev/null | xargs -r rm -f
[ $fail = 0 ] && echo "PASS" || echo "FAIL"
exit $fail
