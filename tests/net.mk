# SPDX-License-Identifier: MIT
# Network counters (--net): the Check suite depends on the skeleton, and the
# traffic fixture is a small C program that sends exact packet counts and
# sizes inside the test's namespaces.
$(OUT)/tests/bpf/check_net.o: $(OUT)/net.skel.h

FIXTURES += $(OUT)/fixtures/net_send

$(OUT)/fixtures/net_send: tests/fixtures/net_send.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -Wall -Wextra -Werror $< -o $@

# Sums a network profile's samples by label, as the shell test asserts them.
FIXTURES += $(OUT)/fixtures/net_sum

$(OUT)/fixtures/net_sum: $(OUT)/tests/net_sum.o $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/tests/net_sum.o: tests/fixtures/net_sum.c | $(PB_HDRS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# Another party's TC and XDP programs, loaded with tc and ip by the shell test.
FIXTURES += $(OUT)/fixtures/net_tcount.bpf.o

$(OUT)/fixtures/net_tcount.bpf.o: tests/fixtures/net_tcount.bpf.c $(OUT)/vmlinux.h
	@mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
