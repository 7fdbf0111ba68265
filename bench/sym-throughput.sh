#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Symbolization throughput, cold and warm, on the largest library here (libLLVM).
set -u
OUT=${OUT:-build}
lib=$(ls /usr/lib/x86_64-linux-gnu/libLLVM-*.so.1 2>/dev/null | head -n1)
[ -n "$lib" ] || lib=/lib/x86_64-linux-gnu/libc.so.6
"$OUT/bench/sym_throughput" "$lib" 100000
