#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Share of samples whose leaf frame is unnamed, for stripped Debian programs
# (issue 13): xz (its work is in liblzma), python3, sqlite3 and clang-14.
# "unnamed" is a bare address or [mapping]; "function start" is a
# FILE+0xADDR name from the unwind tables, which a build before issue 13 left
# unnamed. Prints figures; never fails on them.
#   OUT=build bash bench/unnamed-leaves.sh [CPROF]
set -u
OUT=${OUT:-build}
CPROF=${1:-$OUT/cprof}
T=$OUT/bench-output/unnamed-leaves
mkdir -p "$T"
head -c 6000000 "$(ls /usr/lib/x86_64-linux-gnu/libLLVM-*.so.1 /usr/bin/* 2>/dev/null | head -1)" >"$T/data.bin"
share() {
	go tool pprof -symbolize=none -traces "$1" 2>/dev/null | python3 -c '
import re, sys
tot = {"named": 0.0, "fstart": 0.0, "unnamed": 0.0}
unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1}
for block in sys.stdin.read().split("-----------+-")[1:]:
    for line in block.splitlines():
        m = re.match(r"^\s+([\d.]+)(ns|us|ms|s)\s+(\S.*)$", line)
        if m:
            name = m.group(3).strip()
            k = ("unnamed" if re.match(r"^(0x[0-9a-f]+|\[[^]]*\])$", name) else
                 "fstart" if re.search(r"\+0x[0-9a-f]+$", name) else "named")
            tot[k] += float(m.group(1)) * unit[m.group(2)]
            break
s = sum(tot.values()) or 1
print("%-9s unnamed leaves %5.1f %%, named by function start %5.1f %%" %
      (sys.argv[1], 100 * tot["unnamed"] / s, 100 * tot["fstart"] / s))' "$2"
}
"$CPROF" -q -F 499 -o "$T/xz.pb.gz" -- xz -9 -T1 -c -k "$T/data.bin" >/dev/null && share "$T/xz.pb.gz" xz
"$CPROF" -q -F 499 -o "$T/py.pb.gz" -- python3 -c '
import json, re
d = [dict(a=i, b=str(i) * 3, c=[i] * 5) for i in range(200000)]
for _ in range(3): s = json.dumps(d); json.loads(s); sorted(d, key=lambda x: x["b"]); re.findall(r"\d+", s)
' && share "$T/py.pb.gz" python3
"$CPROF" -q -F 499 -o "$T/sq.pb.gz" -- sqlite3 :memory: "create table t(a,b); with recursive \
c(x) as (select 1 union all select x+1 from c where x<400000) insert into t select x, \
hex(randomblob(16)) from c; create index i on t(b); select count(*) from t where b like '%AB%'; \
select a from t order by b limit 1 offset 200000;" >/dev/null && share "$T/sq.pb.gz" sqlite3
"$CPROF" -q -F 499 -o "$T/cl.pb.gz" -- clang-14 -O2 -c symbolize/sym_session.c -I. -I"$OUT" \
	-o "$T/sym.o" && share "$T/cl.pb.gz" clang-14
