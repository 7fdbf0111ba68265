#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `cprof flamegraph` against inputs built to exhaust it (issues 14, 15, 16),
# all generated here: a 65 KB pprof whose one sample has 67 M locations, a
# 60000-deep pprof stack, a 2 KB gzip of one folded stack 1 M frames deep,
# 200 KB of one 100 M-frame line, 2 MB of gzip inflating to 1.1 GiB,
# 300k distinct stacks drawn with --minwidth 0, counts that sum past 2^63, and
# a --focus that matches nothing. Each run must end within a generous time,
# under 300 MB of peak memory, with bounded output and a message naming what
# was cut or refused.
set -u
OUT=${OUT:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
case $OUT in /*) ;; *) OUT=$ROOT/$OUT ;; esac
CPROF=$OUT/cprof
T=$(mktemp -d "${TMPDIR:-/tmp}/cprof-fg-bounds.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
[ -x /usr/bin/time ] || { echo "SKIP: /usr/bin/time (GNU time) is not installed"; exit 77; }

# run NAME ARGS...: cprof flamegraph ARGS with a 60 s ceiling and a 300 MB
# peak-memory ceiling (CEIL_MB overrides it); sets rc, rss_mb
run() {
	local name=$1 ceil=${CEIL_MB:-300}; shift
	timeout 60 /usr/bin/time -f '%M' -o "$T/$name.rss" "$CPROF" flamegraph "$@" \
		>"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	[ "$rc" -ne 124 ] || fail "$name: still running after 60 s"
	rss_mb=$(( $(tail -n1 "$T/$name.rss") / 1024 ))
	[ "$rss_mb" -lt "$ceil" ] || fail "$name: peak RSS $rss_mb MB (ceiling $ceil MB)"
	echo "$name: exit $rc, peak RSS $rss_mb MB"
}
size() { stat -c %s "$1" 2>/dev/null || echo 0; }

python3 - "$T" "$ROOT/tests/fixtures" <<'PY'
import gzip, random, sys
t = sys.argv[1]
sys.path.insert(0, sys.argv[2])
from pb_wire import varint, field, vfield
def profile(nlocs):
    # string_table: "", samples, count, f; one function, one location, one
    # sample whose packed location_id list repeats location 1 nlocs times.
    p = field(1, vfield(1, 1) + vfield(2, 2))
    p += field(2, field(1, b"\x01" * nlocs) + field(2, vfield(0, 0)[:0] + b"\x01"))
    p += field(4, vfield(1, 1) + field(4, vfield(1, 1)))
    p += field(5, vfield(1, 1) + vfield(2, 3))
    for s in (b"", b"samples", b"count", b"f"):
        p += field(6, s)
    return gzip.compress(p, 9)
open(t + "/bomb.pb.gz", "wb").write(profile(67 * 1024 * 1024))
open(t + "/deep.pb.gz", "wb").write(profile(60000))
open(t + "/deep.folded.gz", "wb").write(gzip.compress(b"f;" * (1024 * 1024) + b"f 1\n", 9))
import zlib
def gz_stream(chunk, times, tail):
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [c.compress(chunk) for _ in range(times)]
    out.append(c.compress(tail))
    out.append(c.flush())
    return b"".join(out)
# 200 KB: one line of 100 M frames; 2 MB: 1.1 GiB of text
open(t + "/line.folded.gz", "wb").write(gz_stream(b"a;" * (1 << 20), 100, b"a 1\n"))
open(t + "/gzbomb.gz", "wb").write(gz_stream(b"a;" * (1 << 20), 550, b"a 1\n"))
with open(t + "/wide.folded", "w") as f:
    for i in range(300000):
        f.write("main;work_%d;step_%d;leaf_%d 1\n" % (i % 1000, i, i))
with open(t + "/many.folded", "w") as f:
    for i in range(600000):
        f.write("main;s_%d;l_%d 1\n" % (i, i))
with open(t + "/overflow.folded", "w") as f:
    f.write("main;a 900000000000000000\n" * 11)
with open(t + "/overflow2.folded", "w") as f:
    for i in range(11):
        f.write("main;a%d 900000000000000000\n" % i)
PY
[ $? -eq 0 ] || fail "generating the inputs"
echo "bomb.pb.gz: $(size "$T/bomb.pb.gz") bytes; deep.folded.gz: $(size "$T/deep.folded.gz") bytes"

# 1. The 67 M-location sample: refused before it is unpacked.
run bomb "$T/bomb.pb.gz" -o "$T/bomb.svg"
[ "$rc" -eq 1 ] || fail "bomb: exit $rc, want 1"
grep -q "a sample has more than 65536 locations" "$T/bomb.err" || { cat "$T/bomb.err"; fail "bomb: no message"; }
[ ! -e "$T/bomb.svg" ] || fail "bomb: wrote an SVG"

# 2. A 60000-deep stack: cut at 4096 frames, the cut shown and counted.
run deep "$T/deep.pb.gz" -o "$T/deep.svg"
[ "$rc" -eq 0 ] || { cat "$T/deep.err"; fail "deep: exit $rc"; }
grep -q '\[truncated 55905 frames\]' "$T/deep.svg" || fail "deep: no [truncated 55905 frames] frame"
grep -q '1 stack(s) deeper than 4096 frames (the deepest: 60000) were cut' "$T/deep.err" ||
	{ cat "$T/deep.err"; fail "deep: no warning"; }
[ "$(grep -c '<g data-v=' "$T/deep.svg")" -eq 4097 ] || fail "deep: not 4096 frames + root"
[ "$(size "$T/deep.svg")" -lt $((8 << 20)) ] || fail "deep: SVG of $(size "$T/deep.svg") bytes"

# 3. 2 KB of gzipped folded text, one stack 1 M frames deep (was a 175 MB SVG).
run folded "$T/deep.folded.gz" -o "$T/folded.svg"
[ "$rc" -eq 0 ] || { cat "$T/folded.err"; fail "folded: exit $rc"; }
grep -q 'were cut' "$T/folded.err" || { cat "$T/folded.err"; fail "folded: no warning"; }
grep -q '\[truncated 1044482 frames\]' "$T/folded.svg" || fail "folded: no truncated frame"
echo "folded: SVG $(size "$T/folded.svg") bytes"
[ "$(size "$T/folded.svg")" -lt $((8 << 20)) ] || fail "folded: SVG of $(size "$T/folded.svg") bytes"
run folded-text "$T/deep.folded.gz" --format folded -o "$T/folded.txt"
[ "$rc" -eq 0 ] && [ "$(size "$T/folded.txt")" -lt $((64 << 20)) ] || fail "folded-text: exit $rc"

# 3b. 200 KB of gzip, one line of 100 M frames (was 1.85 GB and 10 s): the
# reader keeps 4096 and counts the rest.
run line "$T/line.folded.gz" -o "$T/line.svg"
[ "$rc" -eq 0 ] || { cat "$T/line.err"; fail "line: exit $rc"; }
grep -q '(the deepest: 104857601) were cut' "$T/line.err" || { cat "$T/line.err"; fail "line: no warning"; }
grep -q '\[truncated 104853506 frames\]' "$T/line.svg" || fail "line: no truncated frame"

# 3c. 2 MB of gzip inflating to 1.1 GiB (was 1.06 GB of memory): refused at the
# 256 MiB input limit, so the ceiling here is that limit plus 100 MB.
CEIL_MB=356
run gzbomb "$T/gzbomb.gz" -o "$T/gzbomb.svg"
[ "$rc" -eq 1 ] || fail "gzbomb: exit $rc, want 1"
grep -q 'decompresses to more than 256 MiB, the limit' "$T/gzbomb.err" || { cat "$T/gzbomb.err"; fail "gzbomb: no message"; }
CEIL_MB=300

# 4. --minwidth 0 on 300k stacks (was 1.47 GB): under the 64 MiB cap, with a warning.
# Not a bomb but a 13 MB input: it takes ~440 MB to read (the folded reader's
# builder), hence the higher memory ceiling here.
CEIL_MB=1024
run wide "$T/wide.folded" --minwidth 0 -o "$T/wide.svg"
[ "$rc" -eq 0 ] || { cat "$T/wide.err"; fail "wide: exit $rc"; }
echo "wide: SVG $(size "$T/wide.svg") bytes"
[ "$(size "$T/wide.svg")" -le $((64 << 20)) ] || fail "wide: SVG over the 64 MiB cap"
grep -q 'would pass the 64 MiB output cap: frames narrower than' "$T/wide.err" ||
	{ cat "$T/wide.err"; fail "wide: no warning"; }
run wide-small "$T/wide.folded" --minwidth 0 --max-output 4 -o "$T/wide4.svg"
[ "$rc" -eq 0 ] && [ "$(size "$T/wide4.svg")" -le $((4 << 20)) ] || fail "wide-small: --max-output 4"
run wide-folded "$T/wide.folded" --format folded --max-output 1 -o "$T/wide.txt"
[ "$rc" -eq 1 ] || fail "wide-folded: exit $rc, want 1"
grep -q 'the folded output would pass the 1 MiB cap' "$T/wide-folded.err" || fail "wide-folded: no message"
[ ! -e "$T/wide.txt" ] || fail "wide-folded: wrote a partial file"

# 1.2 M distinct frames: refused at the folded reader's 1 M bound (~300 MB by then).
CEIL_MB=500
run many "$T/many.folded" -o "$T/many.svg"
[ "$rc" -eq 1 ] || fail "many: exit $rc, want 1"
grep -q 'more than 1048576 distinct frames' "$T/many.err" || { cat "$T/many.err"; fail "many: no message"; }
CEIL_MB=300

# 5. Counts past 2^63: one stack merged from 11 lines, and 11 stacks under one root.
for f in overflow overflow2; do
	run $f "$T/$f.folded" -o "$T/$f.svg"
	[ "$rc" -eq 1 ] || fail "$f: exit $rc, want 1"
	grep -q 'counts overflow' "$T/$f.err" || { cat "$T/$f.err"; fail "$f: no message"; }
	[ ! -e "$T/$f.svg" ] || fail "$f: wrote an SVG"
done

# 6. A --focus that matches nothing.
run focus "$T/deep.folded.gz" --focus 'no_such_function' -o "$T/focus.svg"
[ "$rc" -eq 1 ] || fail "focus: exit $rc, want 1"
grep -q 'no frame matches --focus no_such_function' "$T/focus.err" || { cat "$T/focus.err"; fail "focus: no message"; }
[ ! -e "$T/focus.svg" ] || fail "focus: wrote an SVG"
echo PASS
