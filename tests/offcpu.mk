# Fixtures of the off-CPU tests (tests/bpf/check_offcpu.c): threads that sleep,
# wait for a lock, read a pipe, are preempted and fault (userfaultfd) in known
# functions. Built as
# the record fixtures are (tests/record.mk).
FIXTURES += $(OUT)/fixtures/offcpu_sleep $(OUT)/fixtures/offcpu_block $(OUT)/fixtures/offcpu_fault

$(OUT)/fixtures/offcpu_sleep: tests/fixtures/offcpu_sleep.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CLANG) $(FIXTURE_CFLAGS) $< -o $@

$(OUT)/fixtures/offcpu_block: tests/fixtures/offcpu_block.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CLANG) $(FIXTURE_CFLAGS) -pthread $< -o $@

$(OUT)/fixtures/offcpu_fault: tests/fixtures/offcpu_fault.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CLANG) $(FIXTURE_CFLAGS) -pthread $< -o $@
