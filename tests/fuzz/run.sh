#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the libFuzzer targets ($FUZZ_OUT/fuzz/fuzz_*) for FUZZ_SECONDS each, on
# seed corpora made here from what the tests built ($OUT/fixtures,
# $OUT/test-output) and from this machine (/proc). With target names as
# arguments, runs only those (tests/run-tests.sh runs one at a time, after
# making the seeds once with --seeds). A crash,
# leak, timeout or out-of-memory is a failure; its input is kept as
# $FUZZ_OUT/artifacts/TARGET-* to replay with `$FUZZ_OUT/fuzz/TARGET FILE`.
set -u
OUT=${OUT:-build}
FUZZ_OUT=${FUZZ_OUT:-$OUT-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-300}
SEEDS=$FUZZ_OUT/seeds
CORPUS=$FUZZ_OUT/corpus
mkdir -p "$SEEDS" "$CORPUS" "$FUZZ_OUT/artifacts"

# seed DIR FILE...: copies the readable regular files among FILE (at most
# max_len bytes each, at most 40 of them) into DIR
seed() {
	local dir=$SEEDS/$1 n=0 f; shift
	mkdir -p "$dir"
	for f in "$@"; do
		[ -f "$f" ] && [ -r "$f" ] || continue
		[ "$(stat -c %s "$f")" -le "$(max_len "$(basename "$dir")")" ] || continue
		cp "$f" "$dir/$(basename "$f").$n" 2>/dev/null || continue
		n=$((n + 1)); [ $n -lt 40 ] || break
	done
}

# The largest input a target takes: 64 KiB, but a Go function table is only
# reached whole (the runtime alone makes ~300 KB of it)
max_len() {
	case $1 in gopclntab) echo 524288 ;; *) echo 65536 ;; esac
}

make_seeds() {
	local t=$SEEDS/tmp
	mkdir -p "$t"
	head -c 60000 /proc/self/maps >"$t/self.maps"
	head -c 60000 /proc/1/maps >"$t/init.maps" 2>/dev/null
	printf '7f0000000000-7f0000001000 r-xp 00000000 fd:01 1234 /usr/lib/a b (deleted)\n' >"$t/odd.maps"
	seed proc_maps "$t"/*.maps

	cat /proc/self/stat >"$t/self.stat"
	cat /proc/1/stat >"$t/init.stat" 2>/dev/null
	printf '42 (a) b (c) 9) R 1 42 42 0 -1 4194560 1 2 3 4 5 6 -7 -8 20 0 1 0 123456 0 0\n' >"$t/odd.stat"
	seed proc_stat "$t"/*.stat

	head -n 1500 /proc/kallsyms >"$t/kallsyms.core"
	grep -m 300 '\[' /proc/kallsyms >"$t/kallsyms.mod"
	printf '0000000000000000 T _stext\n0000000000000000 t foo [mod]\n' >"$t/kallsyms.zero"
	seed kallsyms "$t"/kallsyms.*

	printf '7f0000001000 40 LazyCompile:*main app.js:1\n7f0000001040 10 stub\n' >"$t/a.map"
	printf '0x1000 0x20 java.lang.String::hashCode\n1000 20 regenerated\n' >"$t/b.map"
	seed perf_map "$t"/*.map

	# jitdump: a header and one JIT_CODE_LOAD ("f", 4 code bytes) then a
	# JIT_CODE_MOVE of it; and the start of what node --perf-prof writes
	{
		printf 'DTiJ\x01\0\0\0\x28\0\0\0\x3e\0\0\0\0\0\0\0\xd2\x04\0\0'
		printf '\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0'
		printf '\0\0\0\0\x3e\0\0\0\0\0\0\0\0\0\0\0\xd2\x04\0\0\xd2\x04\0\0'
		printf '\0\x10\0\0\0\0\0\0\0\x10\0\0\0\0\0\0\x04\0\0\0\0\0\0\0'
		printf '\x01\0\0\0\0\0\0\0f\0\xcc\xcc\xcc\xcc'
		printf '\x01\0\0\0\x40\0\0\0\0\0\0\0\0\0\0\0\xd2\x04\0\0\xd2\x04\0\0'
		printf '\0\x20\0\0\0\0\0\0\0\x10\0\0\0\0\0\0\0\x20\0\0\0\0\0\0'
		printf '\x04\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0'
	} >"$t/a.dump"
	if command -v node >/dev/null; then
		(cd "$t" && node --perf-prof -e 'let s=0;for(let i=0;i<1e6;i++)s+=i' >/dev/null 2>&1)
		for f in "$t"/jit-*.dump; do
			[ -f "$f" ] && head -c 65536 "$f" >"$t/node.dump" && rm -f "$f"
		done
	fi
	seed jitdump "$t"/*.dump

	printf 'main;a;b 10\nmain;a;c 5\nk_[k];u 1\n' >"$t/a.folded"
	seed folded "$t/a.folded" $(find "$OUT/test-output" -name '*.folded' 2>/dev/null | head -20)

	seed pprof "$OUT/fixtures/fg_go.pb.gz" $(find "$OUT/test-output" -name '*.pb.gz' 2>/dev/null | head -30)

	local elves
	elves=$(find "$OUT/fixtures" -maxdepth 1 -type f \( -name 'sym_*' -o -name 'uw_*' -o -name 'lib*.so*' \) 2>/dev/null)
	# shellcheck disable=SC2086
	seed sym_elf $elves
	# shellcheck disable=SC2086
	seed unwind_table $elves

	# raw CFI sections behind their kind byte (0: .eh_frame, 1: .debug_frame)
	local f k=0
	for f in $elves; do
		printf '\000' >"$t/cfi.$k"
		objcopy -O binary --only-section=.eh_frame "$f" "$t/sec" 2>/dev/null && cat "$t/sec" >>"$t/cfi.$k"
		k=$((k + 1)); [ $k -lt 20 ] || break
	done
	seed cfi "$t"/cfi.*
	seed fstarts "$t"/cfi.*

	# debug files with compressed sections, as -dbg packages ship them
	k=0
	for f in "$OUT"/fixtures/*.debug; do
		objcopy --compress-debug-sections=zlib "$f" "$t/spill.$k" 2>/dev/null
		k=$((k + 1))
	done
	seed debug_spill "$t"/spill.*

	# Go binaries are megabytes: a small object carrying each Go fixture's
	# .gopclntab (header, function table, names) instead
	local g
	printf 'int x;\n' >"$t/e.c"
	if cc -c "$t/e.c" -o "$t/e.o" 2>/dev/null; then
		k=0
		for g in $(file "$OUT"/fixtures/* 2>/dev/null | grep 'Go BuildID' | cut -d: -f1); do
			objcopy -O binary --only-section=.gopclntab "$g" "$t/pcl" 2>/dev/null || continue
			objcopy --add-section .gopclntab="$t/pcl" \
				--set-section-flags .gopclntab=alloc,readonly,data \
				"$t/e.o" "$t/go.$k" 2>/dev/null
			k=$((k + 1))
		done
	fi
	seed gopclntab "$t"/go.*

	# line tables as CPython 3.8 (lnotab), 3.10 and 3.12 write them, behind
	# the format byte fuzz_python_lines reads first
	printf '\000\000\001\004\001\014\001\012\002' >"$t/py38.lines"
	printf '\001\004\001\014\001\012\001\004\002' >"$t/py310.lines"
	printf '\002\200\000\330\010\011\200\101\334\015\022\220\061\213\130\362\000\001\005\017' >"$t/py312.lines"
	seed python_lines "$t"/*.lines

	# fuzz_python_class's heap: sys.modules -> a module whose __file__ is
	# /app.py -> class C -> function m (code at 32, __qualname__ "C.m")
	python3 - "$t/heap.pyclass" <<'PY'
import struct, sys
h = bytearray(4096)
def w(off, v): struct.pack_into("<Q", h, off, v)
def p(off, target): w(off, 0xffff << 48 | target)	# relocated by the target
def s(off, text): h[off + 16:off + 16 + len(text)] = text.encode()
top = [1024]
def alloc(n):
    o = top[0]; top[0] += (n + 7) & ~7; return o
def dict_(items):
    d = alloc(48); k = alloc(40 + 8 + 24 * 8)
    p(d + 32, k); w(k + 8, 8); w(k + 32, len(items))
    for i, (key, val) in enumerate(items):
        e = k + 48 + 24 * i
        w(e, 1000 + i); p(e + 8, key); p(e + 16, val)
    return d
S_self, S_file, S_path, S_m, S_q = (alloc(64) for _ in range(5))
for o, t in ((S_self, "self"), (S_file, "__file__"), (S_path, "/app.py"), (S_m, "m"), (S_q, "C.m")):
    s(o, t)
p(24, S_self); w(32, 0xdead0000)
meta = alloc(272); w(meta + 168, 1 << 31)
func = alloc(112); p(func + 8, 48); w(func + 16, 0xdead0000); p(func + 24, S_q)
cls = alloc(272); p(cls + 8, meta); p(cls + 264, dict_([(S_m, func)]))
mod = alloc(24); p(mod + 8, 40); p(mod + 16, dict_([(S_file, S_path), (S_m, cls)]))
interp = alloc(16); p(64 + 8, interp); p(interp + 8, dict_([(S_m, mod)]))
open(sys.argv[1], "wb").write(bytes(h[:top[0]]))
PY
	seed python_class "$t/heap.pyclass"

	seed agent_config dist/agent.conf.example $(find "$OUT/test-output" -name '*.conf' 2>/dev/null | head -10)

	# a record as spool_record.h lays it out: "CPSPOOL1", samples, content
	# length (little-endian u64), then a zstd frame with a content checksum
	head -c 3000 /proc/self/maps >"$t/content"
	if zstd -q -c --check "$t/content" >"$t/frame" 2>/dev/null; then
		python3 -c 'import struct,sys; sys.stdout.buffer.write(b"CPSPOOL1"+struct.pack("<QQ",7,int(sys.argv[1])))' \
			"$(stat -c %s "$t/content")" >"$t/made.spool"
		cat "$t/frame" >>"$t/made.spool"
	fi
	seed spool "$t/made.spool" $(find "$OUT/test-output" -name '*.spool' 2>/dev/null | head -20)
	# replies: backend byte, status (2 bytes), five NUL-ended headers, body
	printf '\000\000\310application/proto\000\000\000\000\000' >"$t/pyro-ok.reply"
	printf '\001\000\310application/grpc-web+proto\0000\000\000\000\000\200\000\000\000\017grpc-status:0\r\n' >"$t/parca-ok.reply"
	printf '\002\000\310application/x-protobuf\000\000\000\000\000\012\004\010\001\022\000' >"$t/otlp-partial.reply"
	printf '\002\001\255text/html\000\000\000\000120\000<html>slow down</html>' >"$t/otlp-429.reply"
	printf '\000\001\063\000\000\000https://u:p@elsewhere/\000Sun, 06 Nov 1994 08:49:37 GMT\000' >"$t/pyro-307.reply"
	seed backend_reply "$t"/*.reply
	rm -rf "$t"
}

run_target() {
	local name=$1 bin=$FUZZ_OUT/fuzz/fuzz_$1 rc unwind=1
	[ -x "$bin" ] || { echo "fuzz: $bin is not built (make fuzz-build)" >&2; return 1; }
	mkdir -p "$CORPUS/$name" "$SEEDS/$name"
	echo "fuzz: $name for ${FUZZ_SECONDS}s"
	# -rss_limit_mb: one input may not cost more than this, the bound the
	# symbolizer promises for hostile binaries; -timeout likewise for time
	# elfutils is built without frame pointers: the fast unwinder stops at
	# its first frame, so a leak inside libdw (tests/lsan.supp) would show no
	# libdw frame to match. Targets that drive elfutils unwind slowly (~6x
	# fewer runs a second) to see the whole stack.
	case $name in sym_* | unwind_table | gopclntab) unwind=0 ;; esac
	ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1:fast_unwind_on_malloc=$unwind \
	LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	"$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=1024 -max_len="$(max_len "$name")" \
		-print_final_stats=1 -artifact_prefix="$FUZZ_OUT/artifacts/$name-" \
		"$CORPUS/$name" "$SEEDS/$name"
	rc=$?
	[ $rc -eq 0 ] && echo "fuzz: $name: no crash in ${FUZZ_SECONDS}s" || echo "fuzz: $name: FAILED (exit $rc)"
	return $rc
}

# --seeds: make the seed corpora and stop (tests/run-tests.sh makes them once,
# then runs each target with FUZZ_SEEDS_MADE=1, which skips remaking them)
if [ "${1:-}" = --seeds ]; then
	make_seeds
	exit 0
fi
[ "${FUZZ_SEEDS_MADE:-0}" = 1 ] || make_seeds
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for b in "$FUZZ_OUT"/fuzz/fuzz_*; do targets+=("$(basename "$b" | sed 's/^fuzz_//')"); done
fi
failed=0
for name in "${targets[@]}"; do run_target "$name" || failed=1; done
exit $failed
