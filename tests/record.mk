# Fixtures of the record integration tests (tests/bpf/check_record.c): built with
# frame pointers in every function and debug info, without tail calls, so the
# call chains stay as written. clang, because GCC 12 drops the frame pointer
# of leaf functions even with -fno-omit-frame-pointer.
FIXTURE_CFLAGS := -O1 -g -fno-omit-frame-pointer -fno-optimize-sibling-calls

FIXTURES += $(OUT)/fixtures/work $(OUT)/fixtures/work_cxx $(OUT)/fixtures/syscalls \
	$(OUT)/fixtures/leader_exit

$(OUT)/fixtures/work: tests/fixtures/work.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CLANG) $(FIXTURE_CFLAGS) $< -o $@

$(OUT)/fixtures/work_cxx: tests/fixtures/work_cxx.cc
	@mkdir -p $(@D)
	$(call msg,CXX,$@)
	$(Q)$(CLANG)++ $(FIXTURE_CFLAGS) $< -o $@

$(OUT)/fixtures/leader_exit: tests/fixtures/leader_exit.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CLANG) $(FIXTURE_CFLAGS) -pthread $< -o $@

$(OUT)/fixtures/syscalls: tests/fixtures/syscalls.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CLANG) $(FIXTURE_CFLAGS) $< -o $@
