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
set -u
OUT=${OUT:-build}
export OUT
mkdir -p "$OUT/test-output"
passed=0 failed=0 skipped=0 failed_names=()

run_one() {
	local name=$1; shift
	local log="$OUT/test-output/$name.log" rc start
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
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
	0)  passed=$((passed + n)); printf 'PASS  %-28s %3ss  %s\n' "$name" $(( $(date +%s) - start )) "$summary" ;;
	77) passed=$((passed + n - bad)); skipped=$((skipped + 1))
	    printf 'SKIP  %-28s %s\n' "$name" "$(grep -m1 SKIP "$log")" ;;
	*)  [ "$bad" -gt 0 ] || bad=1
	    failed=$((failed + bad)); passed=$((passed + n - bad)); failed_names+=("$name")
	    printf 'FAIL  %-28s (exit %d)\n' "$name" "$rc"; tail -n 40 "$log" | sed 's/^/    /' ;;
	esac
}

for t in "$OUT"/tests/unit/check_* "$OUT"/tests/bpf/check_*; do
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
	for t in "$SAN_OUT"/tests/unit/check_*; do
		[ -x "$t" ] || continue
		case $t in *.o|*.d) continue ;; esac
		OUT=$SAN_OUT run_one "san:$(basename "$t")" "$t"
	done
	unset ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS
fi
if [ -n "${FUZZ_OUT:-}" ]; then
	# the seeds once (1-2 s of copying and objcopy), not once per target
	FUZZ_OUT=$FUZZ_OUT bash tests/fuzz/run.sh --seeds >"$OUT/test-output/fuzz-seeds.log" 2>&1
	for b in "$FUZZ_OUT"/fuzz/fuzz_*; do
		[ -x "$b" ] || continue
		name=$(basename "$b" | sed 's/^fuzz_//')
		FUZZ_SEEDS_MADE=1 FUZZ_SECONDS=${FUZZ_SMOKE_SECONDS:-5} \
			run_one "fuzz:$name" bash tests/fuzz/run.sh "$name"
	done
fi

echo
[ ${#failed_names[@]} -eq 0 ] || echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
