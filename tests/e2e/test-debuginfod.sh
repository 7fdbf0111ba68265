#!/bin/bash
# SPDX-License-Identifier: MIT
# Debug info fetched by build-id (issue 13). Debian's own debuginfod server
# runs on a free port, indexing a directory that holds only the debug file of
# a stripped fixture (names_hot_gs: no symbols, no debug link). With
# DEBUGINFOD_URLS (and with --debuginfod) pointing at it, the fixture's
# functions get their real names and lines, and the summary counts the fetch;
# a second run finds the file in the client's cache. With the server down the
# run completes with function-start names and says why. Without the
# variable nothing is fetched, and the client library is never loaded; with
# the library missing the run completes and says so.
#
#   OUT=build bash tests/e2e/test-debuginfod.sh
set -u
OUT=${OUT:-build}
CPROF=$OUT/cprof
FIX=$OUT/fixtures
T=$OUT/test-output/debuginfod
rm -rf "$T" && mkdir -p "$T"
fail=0

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (BPF and perf events)"
	exit 77
fi
if ! command -v debuginfod >/dev/null; then
	echo "SKIP: no debuginfod server (apt-get install debuginfod; make deps)"
	exit 77
fi
if ! "$CPROF" -d 0.1 -a -o "$T/probe.pb.gz" >"$T/probe.err" 2>&1; then
	if grep -qiE "operation not permitted|permission denied" "$T/probe.err"; then
		echo "SKIP: BPF denied: $(head -1 "$T/probe.err")"
		exit 77
	fi
fi
BIN=$FIX/names_hot_gs
BID=$(readelf -n "$BIN" | sed -n 's/.*Build ID: \([0-9a-f]*\).*/\1/p')
[ -n "$BID" ] || { echo "FAIL: $BIN has no build-id"; exit 1; }
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
SERVER=
stop_server() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null; SERVER=; }
trap stop_server EXIT

debuginfod -F -p "$PORT" -d "$T/db.sqlite" -t 0 -g 0 "$(realpath "$FIX/debuginfod")" \
	>"$T/server.log" 2>&1 &
SERVER=$!
# ready when it serves the debug file (it scans the directory at start)
for _ in $(seq 1 100); do
	curl -sf -o /dev/null "$URL/buildid/$BID/debuginfo" && break
	sleep 0.2
done
if ! curl -sf -o /dev/null "$URL/buildid/$BID/debuginfo"; then
	echo "FAIL: debuginfod did not serve $BID within 20 s"; tail -5 "$T/server.log"; exit 1
fi

PPROF() { go tool pprof -symbolize=none "$@" 2>/dev/null; }
named_with_lines() { PPROF -top -lines -nodecount=200 "$1" | grep -cE "spin_(forty|thirty|twenty) .*names_hot\.c:[0-9]+"; }

# 1. fetched: real names with lines; the summary counts one fetch
DEBUGINFOD_URLS=$URL DEBUGINFOD_CACHE_PATH=$T/cache DEBUGINFOD_TIMEOUT=10 \
	"$CPROF" -F 499 -o "$T/fetch.pb.gz" -- "$BIN" 2 2>"$T/fetch.err" ||
	{ echo "FAIL: cprof with DEBUGINFOD_URLS: $(tail -1 "$T/fetch.err")"; fail=1; }
n=$(named_with_lines "$T/fetch.pb.gz")
echo "fetched: $n hot lines named with file:line; $(grep debuginfod: "$T/fetch.err")"
[ "$n" -ge 3 ] || { echo "FAIL: the stripped fixture was not named from the fetched debug file"; fail=1; }
grep -q "debuginfod: 1 fetched, 0 cached" "$T/fetch.err" ||
	{ echo "FAIL: the summary does not count one fetch"; fail=1; }
PPROF -comments "$T/fetch.pb.gz" | grep -q "debuginfod: 1 fetched" ||
	{ echo "FAIL: the profile comments do not count the fetch"; fail=1; }

# 2. cached, through --debuginfod
DEBUGINFOD_CACHE_PATH=$T/cache "$CPROF" --debuginfod "$URL" -F 499 -o "$T/cache.pb.gz" -- "$BIN" 1 \
	2>"$T/cache.err" || { echo "FAIL: cprof --debuginfod"; fail=1; }
n=$(named_with_lines "$T/cache.pb.gz")
echo "cached: $n hot lines named; $(grep debuginfod: "$T/cache.err")"
[ "$n" -ge 3 ] || { echo "FAIL: not named from the cached debug file"; fail=1; }
grep -q "debuginfod: 0 fetched, 1 cached" "$T/cache.err" ||
	{ echo "FAIL: the summary does not count the cache hit"; fail=1; }

# 3. the agent (--debuginfod): windows shipped after the fetch are named from
#    it, earlier ones keep function starts; its metrics count the fetch
"$BIN" 8 & WORK=$!
MPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
env -u DEBUGINFOD_URLS DEBUGINFOD_CACHE_PATH=$T/cache_agent "$CPROF" agent -v --url "file://$(realpath "$T")/files" \
	-i 1 -F 499 --pid "$WORK" --debuginfod "$URL" --metrics-addr "127.0.0.1:$MPORT" >"$T/agent.log" 2>&1 &
AGENT=$!
sleep 5
curl -s "http://127.0.0.1:$MPORT/metrics" >"$T/metrics.txt"
kill -TERM "$AGENT"; wait "$AGENT"; rc=$?
kill "$WORK" 2>/dev/null; wait "$WORK" 2>/dev/null
[ "$rc" = 0 ] || { echo "FAIL: the agent exited $rc"; tail -3 "$T/agent.log"; fail=1; }
grep -q "^cprof_debuginfod_fetched_total 1$" "$T/metrics.txt" ||
	{ echo "FAIL: agent metrics do not count the fetch: $(grep debuginfod "$T/metrics.txt" | grep -v '^#')"; fail=1; }
last=$(ls -t "$T/files"/*.pb.gz 2>/dev/null | sed -n 2p)
n=$( [ -n "$last" ] && named_with_lines "$last" || echo 0)
echo "agent: a late window names $n hot lines; $(grep -c . <<<"$(ls "$T/files")") profiles shipped"
[ "$n" -ge 2 ] || { echo "FAIL: the agent's later profiles are not named from the fetched file"; fail=1; }
grep -q "debuginfod: 1 fetched" "$T/agent.log" ||
	{ echo "FAIL: the agent's summary does not count the fetch"; fail=1; }

# 4. server down: completes, function-start names, says why
stop_server
DEBUGINFOD_URLS=$URL DEBUGINFOD_CACHE_PATH=$T/cache2 DEBUGINFOD_TIMEOUT=5 \
	timeout 60 "$CPROF" -F 499 -o "$T/down.pb.gz" -- "$BIN" 1 2>"$T/down.err" ||
	{ echo "FAIL: cprof with the server down: $(tail -1 "$T/down.err")"; fail=1; }
echo "down: $(grep debuginfod: "$T/down.err")"
PPROF -top "$T/down.pb.gz" | grep -qE "names_hot_gs\+0x[0-9a-f]+" ||
	{ echo "FAIL: no function-start names with the server down"; fail=1; }
grep -qE "debuginfod: 0 fetched, 0 cached, [1-9][0-9]* failed \(last: [0-9a-f]+: .+\)" "$T/down.err" ||
	{ echo "FAIL: the summary does not say why nothing was fetched"; fail=1; }

# 5. without the variable nothing is fetched, and the client library (with
#    libcurl-gnutls) is never loaded: ld.so logs every file it maps, for the
#    whole run (a C target: no C++ name loads libstdc++ either)
env -u DEBUGINFOD_URLS DEBUGINFOD_CACHE_PATH=$T/cache3 LD_DEBUG=files LD_DEBUG_OUTPUT=$T/ld.off \
	"$CPROF" -F 499 -o "$T/off.pb.gz" -- "$BIN" 1 \
	2>"$T/off.err" || { echo "FAIL: cprof without DEBUGINFOD_URLS"; fail=1; }
if grep -q "debuginfod:" "$T/off.err" || [ -e "$T/cache3" ]; then
	echo "FAIL: something was fetched without DEBUGINFOD_URLS"; fail=1
fi
loaded=$(cat "$T"/ld.off.* 2>/dev/null | grep -oE "file=lib(debuginfod|curl-gnutls|stdc\+\+)[^ ]*" | sort -u)
ls "$T"/ld.off.* >/dev/null 2>&1 || { echo "FAIL: no LD_DEBUG log"; fail=1; }
[ -z "$loaded" ] || { echo "FAIL: loaded without debuginfod or C++: $loaded"; fail=1; }

# 6. the client library missing (hidden in a mount namespace): the run
#    completes with function-start names and the summary gives the loader's
#    reason
SO=$(ldconfig -p | sed -n 's/.*libdebuginfod\.so\.1 (libc6,x86-64) => //p' | head -1)
if [ -z "$SO" ] || ! command -v unshare >/dev/null; then
	echo "note: step 6 not run (no libdebuginfod.so.1 in ld.so.cache, or no unshare)"
else
	DEBUGINFOD_URLS=$URL DEBUGINFOD_CACHE_PATH=$T/cache4 DEBUGINFOD_TIMEOUT=5 \
		timeout 60 unshare -m --propagation private sh -c \
		'mount --bind /dev/null "$1" && shift && exec "$@"' sh "$SO" \
		"$CPROF" -F 499 -o "$T/nolib.pb.gz" -- "$BIN" 1 2>"$T/nolib.err" ||
		{ echo "FAIL: cprof without libdebuginfod: $(tail -1 "$T/nolib.err")"; fail=1; }
	echo "no library: $(grep debuginfod: "$T/nolib.err")"
	PPROF -top "$T/nolib.pb.gz" | grep -qE "names_hot_gs\+0x[0-9a-f]+" ||
		{ echo "FAIL: no function-start names without libdebuginfod"; fail=1; }
	grep -qE "debuginfod: 0 fetched, 0 cached, [1-9][0-9]* failed \(last: [0-9a-f]+: .*libdebuginfod\.so\.1.*\)" \
		"$T/nolib.err" || { echo "FAIL: the summary does not say the library is missing"; fail=1; }
fi

[ $fail = 0 ] && echo "PASS test-debuginfod"
exit $fail
