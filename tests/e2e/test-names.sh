#!/bin/bash
# SPDX-License-Identifier: MIT
# Naming what has no symbols (issue 13), end to end through cprof record:
#  - a Go program stripped with -ldflags='-s -w' (and its PIE build) is named
#    from its pclntab in cprof's own pprof: go tool pprof -symbolize=none
#    shows its hot functions, their callers, file:line and the inlined call;
#  - a stripped C program with four static hot functions gets one name per
#    function from the unwind tables' function starts (FILE+0xVADDR), each
#    with the share the unstripped build gives it (within 5 points), and its
#    mapping does not claim has_functions;
#  - the same stripped program given a .gnu_debugdata section (MiniDebugInfo,
#    as Fedora ships) is named from it (libdwfl reads it; cprof's own symbol
#    index takes libdwfl's auxiliary symbol table too).
#
#   OUT=build bash tests/e2e/test-names.sh
set -u
OUT=${OUT:-build}
CPROF=$OUT/cprof
FIX=$OUT/fixtures
T=$OUT/test-output/names
rm -rf "$T" && mkdir -p "$T"
fail=0

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (BPF and perf events)"
	exit 77
fi
if ! "$CPROF" -d 0.1 -a -o "$T/probe.pb.gz" >"$T/probe.err" 2>&1; then
	if grep -qiE "operation not permitted|permission denied" "$T/probe.err"; then
		echo "SKIP: BPF denied: $(head -1 "$T/probe.err")"
		exit 77
	fi
fi
PPROF() { go tool pprof -symbolize=none "$@" 2>/dev/null; }

# --- stripped Go ---------------------------------------------------------------
for bin in go_hot_s go_hot_pie; do
	"$CPROF" -o "$T/$bin.pb.gz" -- "$FIX/$bin" 2 2>"$T/$bin.err" ||
		{ echo "FAIL $bin: cprof failed: $(tail -1 "$T/$bin.err")"; fail=1; continue; }
	PPROF -top -lines -nodecount=200 "$T/$bin.pb.gz" >"$T/$bin.top"
	PPROF -traces "$T/$bin.pb.gz" >"$T/$bin.traces"
	for f in goHotA goHotB; do
		if ! grep -qE "main\.$f .*/go_hot\.go:[0-9]+" "$T/$bin.top"; then
			echo "FAIL $bin: main.$f is not named with file:line"
			fail=1
		fi
	done
	if ! grep -qE "main\.goSmall .*go_hot\.go:15 \(inline\)" "$T/$bin.top"; then
		echo "FAIL $bin: the inlined main.goSmall is not shown as an inline frame"
		fail=1
	fi
	# every frame of the hot stacks is named: callers down to runtime.goexit
	if ! grep -A4 -E "^ +[0-9.]+m?s +main\.goHot" "$T/$bin.traces" | grep -q "main\.main"; then
		echo "FAIL $bin: the callers of the hot functions are not named"
		fail=1
	fi
	if grep -A8 -E "^ +[0-9.]+m?s +main\.goHot" "$T/$bin.traces" | grep -qE "^ +0x[0-9a-f]+$"; then
		echo "FAIL $bin: an unnamed frame in a hot stack"
		fail=1
	fi
	echo "$bin: $(grep -cE 'main\.goHot' "$T/$bin.top") hot lines named"
done

# --- stripped C: function starts -----------------------------------------------
# flat share (percent, rounded) of each function: "name share" lines
shares() {
	PPROF -top -nodecount=500 "$1" | awk '$2 ~ /%$/ && $6 != "" { sub("%", "", $2); print $6, $2 }'
}
"$CPROF" -F 997 -o "$T/c_u.pb.gz" -- "$FIX/names_hot" 4 2>"$T/c_u.err" || { echo "FAIL: cprof (unstripped)"; fail=1; }
"$CPROF" -F 997 -o "$T/c_s.pb.gz" -- "$FIX/names_hot_s" 4 2>"$T/c_s.err" || { echo "FAIL: cprof (stripped)"; fail=1; }
shares "$T/c_u.pb.gz" >"$T/c_u.shares"
shares "$T/c_s.pb.gz" >"$T/c_s.shares"
for f in spin_forty spin_thirty spin_twenty spin_ten; do
	addr=$(nm "$FIX/names_hot" | awk -v f="$f" '$3 == f { sub("^0+", "", $1); print $1 }')
	u=$(awk -v f="$f" '$1 == f { print $2 }' "$T/c_u.shares")
	s=$(awk -v f="names_hot_s+0x$addr" '$1 == f { print $2 }' "$T/c_s.shares")
	echo "$f: unstripped ${u:-none} %, stripped as names_hot_s+0x$addr ${s:-none} %"
	if [ -z "$u" ] || [ -z "$s" ]; then
		echo "FAIL: $f missing (unstripped: ${u:-none}, stripped: ${s:-none})"
		fail=1
	elif ! awk -v u="$u" -v s="$s" 'BEGIN { d = u - s; exit !(d <= 5 && d >= -5) }'; then
		echo "FAIL: $f share differs by more than 5 points"
		fail=1
	fi
done
grep -qE "[1-9][0-9]* of them named only by their function start" "$T/c_s.err" ||
	{ echo "FAIL: the summary does not count function-start names"; fail=1; }
grep -q "named only by their function start" "$T/c_u.err" &&
	{ echo "FAIL: function-start names counted for the unstripped build"; fail=1; }
# the binary that lacked symbols is named, with what to do; never the unstripped one
grep -qE "^cprof: [1-9][0-9]* addresses without symbols in /[^ ]*/names_hot_s: install its debug package or set DEBUGINFOD_URLS\$" "$T/c_s.err" ||
	{ echo "FAIL: no missing-symbols line for names_hot_s"; cat "$T/c_s.err"; fail=1; }
grep -q "without symbols in" "$T/c_u.err" &&
	{ echo "FAIL: the unstripped build said to lack symbols"; fail=1; }
# named from unwind tables: the mapping claims no functions
if go tool pprof -raw "$T/c_s.pb.gz" 2>/dev/null | grep -E "names_hot_s" | grep -q "\[FN\]"; then
	echo "FAIL: the stripped mapping claims has_functions"
	fail=1
fi

# --- MiniDebugInfo: .gnu_debugdata names the stripped build ----------------------
"$CPROF" -F 997 -o "$T/c_mdi.pb.gz" -- "$FIX/names_hot_mdi" 2 2>"$T/c_mdi.err" ||
	{ echo "FAIL: cprof (MiniDebugInfo)"; fail=1; }
shares "$T/c_mdi.pb.gz" >"$T/c_mdi.shares"
for f in spin_forty spin_thirty spin_twenty; do
	if ! grep -q "^$f " "$T/c_mdi.shares"; then
		echo "FAIL: $f is not named from .gnu_debugdata"
		fail=1
	fi
done
echo "MiniDebugInfo: $(grep -c '^spin_' "$T/c_mdi.shares") spin functions named"

[ $fail = 0 ] && echo "PASS test-names"
exit $fail
