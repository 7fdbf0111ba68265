#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the unit suites (build/tests/unit/check_*), the root-only BPF
# integration suites (build/tests/bpf/check_*) and the shell end-to-end
# scripts (tests/e2e/test-*.sh). Exit 77 from a test means skipped (e.g. BPF
# denied).
# Prints a closing line "N passed, N failed, N skipped" (individual Check tests;
# a skipped binary counts once as skipped) and exits 1 on any failure.
# With SAN_OUT set (make test sets it), the unit suites built there under
# AddressSanitizer and UndefinedBehaviorSanitizer run again as "san:NAME"; with
# FUZZ_OUT set, each fuzz target runs for FUZZ_SMOKE_SECONDS (default 5: a
# smoke test on the seeds; `make fuzz` runs each for minutes) as "fuzz:NAME".
# What profiles nothing (the unit suites, their sanitizer runs, the fuzz
# targets) runs TEST_JOBS at a time (default: one per CPU, at most 2): each
# still has a CPU of its own. The BPF suites and the e2e scripts run one at a
# time: a second job would take CPU from the workloads they profile.
set -u
OUT=${OUT:-build}
export OUT
mkdir -p "$OUT/test-output"
passed=0 failed=0 skipped=0 failed_names=()
TEST_JOBS=${TEST_JOBS:-$(n=$(nproc 2>/dev/null || echo 1); echo $((n < 2 ? n : 2)))}

run_one() {
	local name=$1; shift
	local log="$OUT/test-output/$name.log" rc start
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	report "$name" "$log" "$rc" $(( $(date +%s) - start ))
}

# run_pool LOGDIR CMD NAME...: runs "CMD NAME" for each NAME, TEST_JOBS at a
# time, its output in LOGDIR/NAME.log; then reports them in order
run_pool() {
	local dir=$1 cmd=$2 name rc secs; shift 2
	for name in "$@"; do
		while [ "$(jobs -pr | wc -l)" -ge "$TEST_JOBS" ]; do wait -n; done
		rm -f "$dir/$name.rc"
		( start=$(date +%s); "$cmd" "$name" >"$dir/$name.log" 2>&1
		  echo "$? $(( $(date +%s) - start ))" >"$dir/$name.rc" ) &
	done
	wait
	for name in "$@"; do
		read -r rc secs <"$dir/$name.rc" 2>/dev/null || { rc=1 secs=0; }
		rm -f "$dir/$name.rc"
		report "$name" "$dir/$name.log" "$rc" "$secs"
	done
}

# report NAME LOG RC SECONDS: the PASS/SKIP/FAIL line, and the counts
report() {
	local name=$1 log=$2 rc=$3 secs=$4
	# Count Check's individual tests where it printed its summary
	# ("100%: Checks: 13, Failures: 0, Errors: 0"), else the script as one.
	local summary n=1 bad=0
	summary=$(grep -E '^[0-9]+%: Checks: [0-9]+' "$log" | tail -n1)
	if [ -n "$summary" ]; then
		n=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$summary")
		bad=$(sed -E 's/.*Failures: ([0-9]+), Errors: ([0-9]+).*/\1 + \2/' <<<"$summary")
		bad=$((bad))
	fi
	case $rc in
	0)  passed=$((passed + n)); printf 'PASS  %-28s %3ss  %s\n' "$name" "$secs" "$summary" ;;
	77) passed=$((passed + n - bad)); skipped=$((skipped + 1))
	    printf 'SKIP  %-28s %s\n' "$name" "$(grep -m1 SKIP "$log")" ;;
	*)  [ "$bad" -gt 0 ] || bad=1
	    failed=$((failed + bad)); passed=$((passed + n - bad)); failed_names+=("$name")
	    printf 'FAIL  %-28s (exit %d)\n' "$name" "$rc"; tail -n 40 "$log" | sed 's/^/    /' ;;
	esac
}

# suites DIR [PREFIX]: PREFIX plus the name of each Check suite in DIR
suites() {
	local t
	for t in "$1"/check_*; do
		[ -x "$t" ] || continue
		case $t in *.o|*.d) continue ;; esac
		echo "${2:-}$(basename "$t")"
	done
}
unit_suite() { "$OUT/tests/unit/$1"; }
# shellcheck disable=SC2046
run_pool "$OUT/test-output" unit_suite $(suites "$OUT/tests/unit")
for t in "$OUT"/tests/bpf/check_*; do
	[ -x "$t" ] || continue
	case $t in *.o|*.d) continue ;; esac
	run_one "$(basename "$t")" "$t"
done
for t in tests/e2e/test-*.sh; do
	[ -e "$t" ] || continue
	run_one "$(basename "$t" .sh)" bash "$t"
done

if [ -n "${SAN_OUT:-}" ]; then
	mkdir -p "$SAN_OUT/test-output"
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
	export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	san_suite() { "$SAN_OUT/tests/unit/${1#san:}"; }
	# shellcheck disable=SC2046
	run_pool "$SAN_OUT/test-output" san_suite $(suites "$SAN_OUT/tests/unit" san:)
	unset ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS
fi
if [ -n "${FUZZ_OUT:-}" ]; then
	# the seeds once (1-2 s of copying and objcopy), not once per target
	FUZZ_OUT=$FUZZ_OUT bash tests/fuzz/run.sh --seeds >"$OUT/test-output/fuzz-seeds.log" 2>&1
	fuzz_one() { bash tests/fuzz/run.sh "${1#fuzz:}"; }
	fz=()
	for b in "$FUZZ_OUT"/fuzz/fuzz_*; do
		[ -x "$b" ] || continue
		fz+=("fuzz:$(basename "$b" | sed 's/^fuzz_//')")
	done
	FUZZ_SEEDS_MADE=1 FUZZ_SECONDS=${FUZZ_SMOKE_SECONDS:-5} \
		run_pool "$OUT/test-output" fuzz_one "${fz[@]}"
fi

echo
[ ${#failed_names[@]} -eq 0 ] || echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
