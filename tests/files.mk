# Fixtures of the hostile-file tests (tests/bpf/check_hostile_files.c): a JIT-like
# process burning CPU in anonymous executable memory, and a program burning
# CPU in its own code and in a shared library. Frame pointers kept so its
# stacks reach main. Included by the top Makefile.
FILES_FIX_CFLAGS := -O1 -g -fno-omit-frame-pointer -fno-optimize-sibling-calls

FILES_FIXTURES := $(addprefix $(OUT)/fixtures/,jit_burn libhostile_lib.so hostile_uselib)
FIXTURES += $(FILES_FIXTURES)

$(OUT)/tests/bpf/check_hostile_files: | $(FILES_FIXTURES)

$(OUT)/fixtures/jit_burn: tests/fixtures/jit_burn.c
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(FILES_FIX_CFLAGS) $< -o $@

$(OUT)/fixtures/libhostile_lib.so: tests/fixtures/hostile_lib.c
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(FILES_FIX_CFLAGS) -fPIC -shared $< -o $@

$(OUT)/fixtures/hostile_uselib: tests/fixtures/hostile_uselib.c $(OUT)/fixtures/libhostile_lib.so
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(FILES_FIX_CFLAGS) $< -L$(OUT)/fixtures -lhostile_lib -Wl,-rpath,'$$ORIGIN' -o $@

# the debug-file tests read the debuglink and build-id fixtures of sym.mk
$(OUT)/tests/unit/check_debug_file: | $(SYM_FIXTURES)
$(OUT)/tests/unit/check_debug_spill: | $(SYM_FIXTURES)
