#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make install` puts the binary, the systemd unit and the man page where
# systemd and man look; the unit parses (systemd-analyze verify) and keeps its
# hardening; the man page renders without warnings and documents every long
# option of `cprof --help`, `cprof flamegraph --help` and `cprof agent --help`.
set -u
OUT=${OUT:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
case $OUT in /*) ;; *) OUT=$ROOT/$OUT ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/cprof-install-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

make -s -C "$ROOT" --no-print-directory install OUT="$OUT" DESTDIR="$T/root" PREFIX=/usr/local \
	>"$T/install.log" 2>&1 || { cat "$T/install.log"; fail "make install"; }
for f in bin/cprof share/man/man1/cprof.1 lib/systemd/system/cprof-agent.service \
	share/doc/cprof/agent.conf.example; do
	[ -f "$T/root/usr/local/$f" ] || fail "make install did not install $f"
done
[ -x "$T/root/usr/local/bin/cprof" ] || fail "cprof is not executable"
unit=$T/root/usr/local/lib/systemd/system/cprof-agent.service
grep -q '^ExecStart=/usr/local/bin/cprof agent --config /etc/cprof/agent.conf' "$unit" || fail "ExecStart"
for want in NoNewPrivileges=yes ProtectSystem=strict \
	'CapabilityBoundingSet=CAP_BPF CAP_PERFMON CAP_SYS_PTRACE CAP_SYS_RESOURCE' \
	'ExecReload=/bin/kill -HUP $MAINPID' StateDirectory=cprof; do
	grep -qF -- "$want" "$unit" || fail "the unit lacks $want"
done
grep -q '^ProtectKernelTunables=yes' "$unit" && fail "ProtectKernelTunables hides /proc/kallsyms"

if command -v systemd-analyze >/dev/null; then
	# only complaints about files this test did not install system-wide may remain
	systemd-analyze verify "$unit" 2>&1 | grep -v -e 'is not executable' -e "man cprof(1)" \
		-e 'Failed to .* Unit .* not found' >"$T/verify.txt"
	[ ! -s "$T/verify.txt" ] || { cat "$T/verify.txt"; fail "systemd-analyze verify"; }
	echo "systemd-analyze verify: clean"
fi

man=$ROOT/doc/cprof.1
groff -man -Tutf8 -ww -z "$man" 2>"$T/groff.txt" || fail "groff"
[ ! -s "$T/groff.txt" ] || { cat "$T/groff.txt"; fail "the man page renders with warnings"; }
missing=
for cmd in "" flamegraph agent; do
	for opt in $("$OUT/cprof" $cmd --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -qF -- "$(printf '%s' "$opt" | sed 's/-/\\-/g')" "$man" || missing="$missing ${cmd:-record}:$opt"
	done
done
# every subcommand's options, record's included
[ -z "$missing" ] || fail "the man page does not document:$missing"
# the check itself must see options: an empty --help would pass vacuously
for cmd in "" flamegraph agent; do
	n=$("$OUT/cprof" $cmd --help | grep -o -- '--[a-z][a-z-]*' | sort -u | wc -l)
	[ "$n" -ge 5 ] || fail "cprof $cmd --help lists only $n options"
done
grep -q '^\.SH AGENT' "$man" && grep -q '^\.SH RECORD' "$man" && grep -q '^\.SH FLAMEGRAPH' "$man" ||
	fail "the man page lacks a section"
echo "PASS"
