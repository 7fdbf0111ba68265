# Benchmark programs (bench/*.c), built from source by `make bench`.
BENCH_BINS := $(OUT)/bench/cpuburn $(OUT)/bench/sym_throughput $(OUT)/bench/pingpong \
	      $(OUT)/bench/py_read_cost
FIXTURES += $(BENCH_BINS)

$(OUT)/bench/cpuburn: bench/cpuburn.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -fno-omit-frame-pointer -pthread $< -o $@

$(OUT)/bench/pingpong: bench/pingpong.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -fno-omit-frame-pointer -pthread $< -o $@

$(OUT)/bench/py_read_cost: $(OUT)/bench/py_read_cost.o $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/bench/sym_throughput: $(OUT)/bench/sym_throughput.o $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -ldl -o $@
