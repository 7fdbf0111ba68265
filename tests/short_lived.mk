# SPDX-License-Identifier: MIT
# tests/e2e/test-short-lived.sh: reads the user-stack losses of a CPU profile.
FIXTURES += $(OUT)/fixtures/ustack_loss

$(OUT)/fixtures/ustack_loss: $(OUT)/tests/ustack_loss.o $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/tests/ustack_loss.o: tests/fixtures/ustack_loss.c | $(PB_HDRS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@
