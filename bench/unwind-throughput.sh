#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Unwind table build time and memory for large libraries (libc, python3,
# libLLVM), and unwinding throughput on stack records sampled from python3.
set -u
OUT=${OUT:-build}
"$OUT/bench/unwind_throughput" "$@"
