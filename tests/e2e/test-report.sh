#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `cprof report` against `go tool pprof` (issue 14): for each profile, the
# output of cprof report (top, --cum, --nodecount, --nodefraction, --focus,
# --ignore, --sample-index, --traces) must equal go tool pprof's -top or
# -traces with the same options, byte for byte. The profiles:
#  - the Go fixture's own CPU profile (fg_go.pb.gz, tests/flamegraph.mk);
#  - three generated here (a seeded mix of 60 functions, inlined frames, a
#    function both inlined and called, unnamed and unsymbolized frames,
#    cprof's labels, comments; in CPU time gzipped, the same with
#    drop_frames and keep_frames, and in bytes raw);
#  - as root, cprof's own profiles of known workloads: the stripped Go
#    program go_hot_s (goSmall inlined into goHotA) and names_hot.
# Skips when go is not installed.
#
#   OUT=build bash tests/e2e/test-report.sh
set -u
OUT=${OUT:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
case $OUT in /*) ;; *) OUT=$ROOT/$OUT ;; esac
CPROF=$OUT/cprof
FIX=$OUT/fixtures
T=$OUT/test-output/report
rm -rf "$T" && mkdir -p "$T"
fail=0

if ! command -v go >/dev/null 2>&1; then
	echo "SKIP: go is not installed: cannot compare with go tool pprof"
	exit 77
fi
[ -f "$FIX/fg_go.pb.gz" ] || { echo "FAIL: $FIX/fg_go.pb.gz missing (make tests)"; exit 1; }
export TZ=UTC	# both print the profile's time in the local zone

python3 - "$T" "$ROOT/tests/fixtures" <<'PY'
import gzip, random, sys
t = sys.argv[1]
sys.path.insert(0, sys.argv[2])
from pb_wire import field as ld, vfield as vi, packed

def profile(rng, types, unit_scale, drop=None, keep=None):
    strings, sidx = [""], {"": 0}
    def s(x):
        if x not in sidx:
            sidx[x] = len(strings)
            strings.append(x)
        return sidx[x]
    out = b""
    for ty, un in types:
        out += ld(1, vi(1, s(ty)) + vi(2, s(un)))
    out += ld(3, vi(1, 1) + vi(2, 0x400000) + vi(3, 0x500000) +
              vi(5, s("/opt/app/bin/server")) + vi(6, s("abc123")))
    out += ld(3, vi(1, 2) + vi(2, 0x7f0000) + vi(3, 0x7f8000) + vi(5, s("/lib/x86_64-linux-gnu/libc.so.6")))
    nfn = 62  # f61 and f62 are only ever inlined
    for i in range(1, nfn + 1):
        name = "" if i == 7 else ("pkg/%s.f%d" % ("a" if i % 3 else "b", i))
        out += ld(5, vi(1, i) + vi(2, s(name)) + vi(4, s("src/f%d.c" % i)) + vi(5, 10 * i))
    locs = []
    for i in range(1, 91):
        if i <= 60:
            lines = [i]
        elif i <= 80:
            # inlined frames: innermost first, physical caller last
            lines = [61 + i % 2] + [rng.randint(1, 60) for _ in range(rng.randint(1, 2))]
        else:
            lines = []
        body = vi(1, i) + vi(2, 2 if i > 85 else 1) + vi(3, 0x400000 + 16 * i)
        for f in lines:
            body += ld(4, vi(1, f) + vi(2, 100 + f))
        out += ld(4, body)
        locs.append(i)
    for n in range(400):
        depth = rng.randint(1, 12)
        # a skewed pick so a few functions dominate and many fall under 0.5 %
        stack = [min(int(rng.expovariate(0.08)) + 1, 90) for _ in range(depth)]
        count = rng.randint(1, 20)
        pid = rng.choice([100, 200, 300])
        tid = pid + rng.randint(0, 2)
        body = packed(1, stack) + packed(2, [count] + [count * unit_scale] * (len(types) - 1))
        body += ld(3, vi(1, s("pid")) + vi(3, pid) + vi(4, s("id")))
        body += ld(3, vi(1, s("tid")) + vi(3, tid) + vi(4, s("id")))
        body += ld(3, vi(1, s("comm")) + vi(2, s("w%d" % (tid - pid))))
        body += ld(3, vi(1, s("process")) + vi(2, s("server%d" % pid)))
        out += ld(2, body)
    out += vi(9, 1764547200 * 10**9) + vi(10, 3 * 10**9 + 123456789)
    out += ld(11, vi(1, s(types[-1][0])) + vi(2, s(types[-1][1]))) + vi(12, unit_scale)
    out += vi(13, s("cprof test profile")) + vi(13, s("# hidden comment"))
    if drop:
        out += vi(7, s(drop)) + vi(8, s(keep))
    return out + b"".join(ld(6, x.encode()) for x in strings)

rng = random.Random(14)
open(t + "/mix.pb.gz", "wb").write(gzip.compress(profile(rng, [("samples", "count"), ("cpu", "nanoseconds")], 10101010)))
# drop_frames: the frames of f10..f19 (f12 kept) and f3 and what they call go
cpu = [("samples", "count"), ("cpu", "nanoseconds")]
open(t + "/drop.pb.gz", "wb").write(gzip.compress(profile(random.Random(15), cpu, 10101010, r"pkg/a\.f1[0-9]|pkg/b\.f3", r"pkg/a\.f11")))
open(t + "/nodrop.pb.gz", "wb").write(gzip.compress(profile(random.Random(15), cpu, 10101010)))
open(t + "/alloc.pb", "wb").write(profile(rng, [("alloc_objects", "count"), ("alloc_space", "bytes")], 4096))
PY
[ -s "$T/mix.pb.gz" ] && [ -s "$T/drop.pb.gz" ] && [ -s "$T/alloc.pb" ] || { echo "FAIL: could not generate the profiles"; exit 1; }
files="$FIX/fg_go.pb.gz $T/mix.pb.gz $T/drop.pb.gz $T/alloc.pb"

if [ "$(id -u)" = 0 ]; then
	for w in "go_hot_s 2" "names_hot"; do
		set -- $w
		if "$CPROF" -o "$T/$1.pb.gz" -- "$FIX/$@" >/dev/null 2>"$T/$1.err"; then
			files="$files $T/$1.pb.gz"
		else
			echo "FAIL: cprof could not record $1: $(tail -1 "$T/$1.err")"
			fail=1
		fi
	done
else
	echo "note: not root, so no profile recorded by cprof is compared"
fi

# cprof options | go tool pprof options
cases='
|-top
--cum|-top -cum
--nodecount 5|-top -nodecount=5
--cum --nodecount 3|-top -cum -nodecount=3
--nodefraction 0|-top -nodefraction=0
--nodefraction 0.05|-top -nodefraction=0.05
--focus f1|-top -focus=f1
--ignore libc|-top -ignore=libc
--focus main --ignore runtime|-top -focus=main -ignore=runtime
--sample-index 0|-top -sample_index=0
--traces|-traces
--traces --focus goHot|-traces -focus=goHot
'
compared=0
for f in $files; do
	name=$(basename "$f")
	i=0
	while IFS='|' read -r copts gopts; do
		[ -n "$gopts" ] || continue
		i=$((i + 1))
		# shellcheck disable=SC2086
		go tool pprof -symbolize=none $gopts "$f" >"$T/$name.$i.go" 2>"$T/$name.$i.goerr"
		# shellcheck disable=SC2086
		"$CPROF" report $copts "$f" >"$T/$name.$i.cprof" 2>"$T/$name.$i.err"
		rc=$?
		if ! grep -q "flat%\|-----------+" "$T/$name.$i.go"; then
			echo "FAIL $name [$copts]: go tool pprof printed no report: $(head -1 "$T/$name.$i.goerr")"
			fail=1
		elif ! grep -qE "^ +[^ ]+ +[0-9. ]+% |^ +[^ ]+   [^ ]" "$T/$name.$i.go"; then
			# go printed a header and no row: the filters kept nothing,
			# which cprof reports as an error instead
			if [ "$rc" != 1 ] || ! grep -q "no sample matches" "$T/$name.$i.err"; then
				echo "FAIL $name [$copts]: nothing to report, yet cprof said otherwise (exit $rc)"
				fail=1
			fi
		elif [ "$rc" != 0 ]; then
			echo "FAIL $name [$copts]: cprof report exited $rc: $(head -1 "$T/$name.$i.err")"
			fail=1
		elif ! cmp -s "$T/$name.$i.go" "$T/$name.$i.cprof"; then
			echo "FAIL $name [$copts]: differs from go tool pprof $gopts:"
			diff "$T/$name.$i.go" "$T/$name.$i.cprof" | head -10
			fail=1
		else
			compared=$((compared + 1))
		fi
	done <<<"$cases"
done
echo "identical to go tool pprof: $compared reports"

# The comparisons covered what they are meant to: dropped nodes, inlined
# frames, a function both inlined and called, unsymbolized frames.
grep -q "^Dropped [0-9]* nodes" "$T/mix.pb.gz.1.cprof" || { echo "FAIL: no node dropped in mix"; fail=1; }
grep -q " (inline)$" "$T/mix.pb.gz.1.cprof" || { echo "FAIL: no inline mark in mix"; fail=1; }
grep -q " (partial-inline)$" "$T/mix.pb.gz.5.cprof" || { echo "FAIL: no partial-inline in mix"; fail=1; }
grep -q "  \[libc.so.6\]$" "$T/mix.pb.gz.5.cprof" || { echo "FAIL: no unsymbolized frame in mix"; fail=1; }
# drop_frames: the same stacks without it show the dropped functions far
# more often; the kept one (pkg/a.f11) stays
"$CPROF" report --traces "$T/nodrop.pb.gz" >"$T/nodrop.traces" || fail=1
dropped=$(grep -cE "  pkg/(a\.f1[02-9]|b\.f3)$" "$T/drop.pb.gz.11.cprof")
undropped=$(grep -cE "  pkg/(a\.f1[02-9]|b\.f3)$" "$T/nodrop.traces")
[ $((dropped * 2)) -lt "$undropped" ] ||
	{ echo "FAIL: drop_frames: $dropped dropped frames shown, $undropped without it"; fail=1; }
[ "$(grep -c "  pkg/a\.f11$" "$T/drop.pb.gz.11.cprof")" -gt 0 ] || { echo "FAIL: keep_frames: pkg/a.f11 went"; fail=1; }
grep -qE "^ +[0-9.]+[kMG]?B " "$T/alloc.pb.1.cprof" || { echo "FAIL: alloc.pb not in bytes"; fail=1; }
if [ -f "$T/go_hot_s.pb.gz.1.cprof" ]; then
	grep -q "  main.goSmall (inline)$" "$T/go_hot_s.pb.gz.1.cprof" ||
		{ echo "FAIL: go_hot_s: main.goSmall is not an inline row"; fail=1; }
fi

# The per-process and per-thread totals add up to the top's total.
"$CPROF" report --processes "$T/mix.pb.gz" >"$T/proc.txt" || fail=1
"$CPROF" report --threads "$T/mix.pb.gz" >"$T/thr.txt" || fail=1
grep -q "^Showing 3 processes accounting for .*, 100% of" "$T/proc.txt" ||
	{ echo "FAIL: --processes: $(grep Showing "$T/proc.txt")"; fail=1; }
grep -qE "^ +[0-9.]+m?s +[0-9.]+% +[0-9.]+% +300  server300$" "$T/proc.txt" ||
	{ echo "FAIL: --processes has no row for pid 300"; fail=1; }
grep -q "^Showing 9 threads accounting for .*, 100% of" "$T/thr.txt" ||
	{ echo "FAIL: --threads: $(grep Showing "$T/thr.txt")"; fail=1; }

# Errors: a usage error exits 2 with a hint, a bad input 1 naming it.
"$CPROF" report --sample-index nope "$T/mix.pb.gz" >/dev/null 2>"$T/e1"
[ $? = 2 ] && grep -q "available sample types: samples cpu" "$T/e1" ||
	{ echo "FAIL: unknown --sample-index: $(cat "$T/e1")"; fail=1; }
"$CPROF" report --focus '(' "$T/mix.pb.gz" >/dev/null 2>"$T/e2"
[ $? = 2 ] && grep -q "Try 'cprof report --help'" "$T/e2" ||
	{ echo "FAIL: bad --focus regex: $(cat "$T/e2")"; fail=1; }
head -c 100 /dev/urandom >"$T/junk"
"$CPROF" top "$T/junk" >/dev/null 2>"$T/e3"
[ $? = 1 ] && grep -q "junk" "$T/e3" || { echo "FAIL: junk input: $(cat "$T/e3")"; fail=1; }

[ "$fail" = 0 ] && echo "PASS: cprof report matches go tool pprof"
exit "$fail"
