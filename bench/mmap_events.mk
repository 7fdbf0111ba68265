# SPDX-License-Identifier: MIT
# bench/mmap-events-cost.sh: the mapping event reader alone, under a fork load.
FIXTURES += $(OUT)/bench/mmap_events_cost

$(OUT)/bench/mmap_events_cost: $(OUT)/bench/mmap_events_cost.o $(LIB_OBJS) $(CLI_LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@
