# SPDX-License-Identifier: MIT
# DWARF unwinding benchmarks (bench/unwind*.sh), built by `make bench`.
BENCH_BINS += $(OUT)/bench/unwind_throughput
FIXTURES += $(OUT)/bench/unwind_throughput

$(OUT)/bench/unwind_throughput: $(OUT)/bench/unwind_throughput.o $(LIB_OBJS) $(CLI_LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@
