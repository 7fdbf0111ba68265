#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every test binary build/tests/check_* and every tests/*.sh script
# with a "test-" prefix. Exit 77 from a test means skipped (e.g. BPF denied).
# Prints a closing line "N passed, N failed, N skipped" and exits 1 on failure.
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
	case $rc in
	0)  passed=$((passed + 1)); printf 'PASS  %-28s %3ss\n' "$name" $(( $(date +%s) - start )) ;;
	77) skipped=$((skipped + 1)); printf 'SKIP  %-28s %s\n' "$name" "$(grep -m1 SKIP "$log")" ;;
	*)  failed=$((failed + 1)); failed_names+=("$name")
	    printf 'FAIL  %-28s (exit %d)\n' "$name" "$rc"; tail -n 40 "$log" | sed 's/^/    /' ;;
	esac
	# Check's own summary line, so per-test counts are visible in CI logs.
	grep -E '^[0-9]+%: Checks' "$log" | sed 's/^/      /'
}

for t in "$OUT"/tests/check_*; do
	[ -x "$t" ] || continue
	case $t in *.o|*.d) continue ;; esac
	run_one "$(basename "$t")" "$t"
done
for t in tests/test-*.sh; do
	[ -e "$t" ] || continue
	run_one "$(basename "$t" .sh)" bash "$t"
done

echo
[ ${#failed_names[@]} -eq 0 ] || echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
