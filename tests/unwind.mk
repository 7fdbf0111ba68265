# SPDX-License-Identifier: MIT
# Fixtures of the DWARF-unwinding tests (check_unwind_table, check_unwinder,
# check_dwarf_record), built with GCC like most of Debian: -O2 without frame
# pointers (tail calls off, so the call chains stay as written), stripped,
# with their debug info in separate files found through .gnu_debuglink; a
# hand-written CFI object; a deep recursion; a .debug_frame-only build; hostile
# CFI (raw .eh_frame bytes) and an FDE of 80k rows, for the bounded reader.
# The unwinder tests cross-check with libunwind's remote API.
UW_DIR    := $(OUT)/fixtures
UW_CFLAGS := -O2 -g -fomit-frame-pointer -fno-optimize-sibling-calls -Wall
UW_FIXTURES := $(addprefix $(UW_DIR)/,uw_cfi.so libuw_hot.so uw_work_pie uw_work_nopie \
	uw_work_fp uw_deep uw_nocfi uw_hostile uw_rows.so)
FIXTURES += $(UW_FIXTURES)

UW_TESTS := $(OUT)/tests/unit/check_unwind_table $(OUT)/tests/unit/check_unwinder $(OUT)/tests/bpf/check_hostile_cfi \
	$(OUT)/tests/unit/check_cfi_reader \
	$(OUT)/tests/bpf/check_dwarf_record
$(UW_TESTS): | $(UW_FIXTURES)
$(OUT)/tests/unit/check_unwinder $(OUT)/tests/bpf/check_dwarf_record: LDLIBS += -lunwind-x86_64 -lunwind

# $(call uw_split,FULL,STRIPPED): debug info to STRIPPED.debug, the rest
# stripped of every symbol, with a .gnu_debuglink to the debug file
define uw_split
	$(Q)objcopy --only-keep-debug $(1) $(2).debug
	$(Q)cd $(dir $(2)) && objcopy --strip-all --add-gnu-debuglink=$(notdir $(2)).debug \
		$(abspath $(1)) $(notdir $(2))
endef

$(UW_DIR)/uw_cfi.so: tests/fixtures/uw_cfi.S
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) -shared -nostdlib -Wl,--build-id $< -o $@

$(UW_DIR)/libuw_hot.so: tests/fixtures/uw_hot.c
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(UW_CFLAGS) -fPIC -shared $< -o $@.full
	$(call uw_split,$@.full,$@)

$(UW_DIR)/uw_work_pie: tests/fixtures/uw_work.c $(UW_DIR)/libuw_hot.so
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(UW_CFLAGS) -fPIE -pie $< -L$(UW_DIR) -luw_hot -Wl,-rpath,'$$ORIGIN' -o $@.full
	$(call uw_split,$@.full,$@)

$(UW_DIR)/uw_work_nopie: tests/fixtures/uw_work.c $(UW_DIR)/libuw_hot.so
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(UW_CFLAGS) -fno-pie -no-pie $< -L$(UW_DIR) -luw_hot -Wl,-rpath,'$$ORIGIN' -o $@.full
	$(call uw_split,$@.full,$@)

# GCC with frame pointers still omits them in leaf functions: frame-pointer
# unwinding loses each leaf's caller, unwind tables do not
$(UW_DIR)/uw_work_fp: tests/fixtures/uw_work.c tests/fixtures/uw_hot.c
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) -O2 -g -fno-omit-frame-pointer -fno-optimize-sibling-calls -Wall $^ -o $@

$(UW_DIR)/uw_deep: tests/fixtures/uw_deep.c
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(UW_CFLAGS) $< -o $@

$(UW_DIR)/uw_nocfi: tests/fixtures/uw_nocfi.c
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) -O2 -g -fomit-frame-pointer -fno-asynchronous-unwind-tables -fno-optimize-sibling-calls \
		$< -o $@.full
	$(call uw_split,$@.full,$@)

# ld says "error in ...(.eh_frame); no .eh_frame_hdr table will be created":
# it cannot parse the hostile entries either, and that is the point
$(UW_DIR)/uw_hostile: tests/fixtures/uw_hostile.c tests/fixtures/uw_hostile.S
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) -O2 -fno-asynchronous-unwind-tables -fno-unwind-tables -Wall $^ -o $@

$(UW_DIR)/uw_rows.so: tests/fixtures/uw_rows.S
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) -shared -nostdlib -Wl,--build-id -DROWS=80000 $< -o $@

# The in-kernel unwinder's cases (tests/e2e/test-kunwind.sh): signal frames,
# PLT stubs, dlopen after start, threads, exec mid-run; no frame pointers.
# libkuw_late.so: uw_hot.c again under its own soname (so its own build-id),
# for dlopen: no process maps it at start
$(UW_DIR)/kuw_cases: tests/fixtures/kuw_cases.c $(UW_DIR)/libuw_hot.so
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(UW_CFLAGS) -fPIE -pie $< -L$(UW_DIR) -luw_hot -Wl,-rpath,'$$ORIGIN' -ldl -lpthread -o $@
$(UW_DIR)/libkuw_late.so: tests/fixtures/uw_hot.c
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(UW_CFLAGS) -fPIC -shared -Wl,-soname,libkuw_late.so $< -o $@
# libkuw_ctor.so: a constructor that burns before main, preloaded
$(UW_DIR)/libkuw_ctor.so: tests/fixtures/kuw_ctor.c
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(UW_CFLAGS) -fPIC -shared $< -o $@
FIXTURES += $(UW_DIR)/kuw_cases $(UW_DIR)/libkuw_late.so $(UW_DIR)/libkuw_ctor.so
$(UW_DIR)/kuw_cxx: tests/fixtures/work_cxx.cc
	$(call msg,FIXTURE,$@)
	$(Q)$(CXX) $(UW_CFLAGS) $< -o $@
FIXTURES += $(UW_DIR)/kuw_cxx

# Eviction from the kernel's table memory (tests/e2e/test-kunwind.sh): three
# programs, each with its own library of 524288 rows (8 MiB in the kernel):
# a's rows (depth 1) differ from b's and c's (depth 2), so a walk of a over
# rows another's overwrote goes wrong; b and c differ in their FDEs' lengths
$(UW_DIR)/libkuw_rows_a.so: UW_ROWS_OPTS := -DDEPTH=1 -DFDE_ROWS=65536
$(UW_DIR)/libkuw_rows_b.so: UW_ROWS_OPTS := -DDEPTH=2 -DFDE_ROWS=65536
$(UW_DIR)/libkuw_rows_c.so: UW_ROWS_OPTS := -DDEPTH=2 -DFDE_ROWS=32768
$(UW_DIR)/libkuw_rows_%.so: tests/fixtures/uw_rows.S
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) -shared -nostdlib -Wl,--build-id -DROWS=524288 $(UW_ROWS_OPTS) $< -o $@
$(UW_DIR)/kuw_evict_%: tests/fixtures/kuw_evict.c $(UW_DIR)/libkuw_rows_%.so
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(UW_CFLAGS) $< -L$(UW_DIR) -lkuw_rows_$* -Wl,-rpath,'$$ORIGIN' -o $@
FIXTURES += $(addprefix $(UW_DIR)/,kuw_evict_a kuw_evict_b kuw_evict_c)
