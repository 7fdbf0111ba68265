# SPDX-License-Identifier: MIT
# Fixtures for the symbolizer tests (check_sym_elf): small programs built from
# tests/fixtures/sym_* in several flavours (PIE, non-PIE, shared library,
# stripped with .gnu_debuglink, stripped with a build-id debug directory, C++,
# -O2 inlining, anonymous executable memory). Included by the top Makefile.

SYM_FIX_DIR := $(OUT)/fixtures
SYM_FIX_SRC := tests/fixtures
SYM_FIX_CFLAGS := -g -O0 -fno-omit-frame-pointer -Wall

SYM_FIXTURES := $(addprefix $(SYM_FIX_DIR)/,sym_pie sym_nopie libsym_lib.so sym_uselib \
	sym_dbglink sym_dbglink.debug sym_bidonly sym_bidonly.stamp sym_cxx sym_inline sym_jit \
	libsym_ver.so sym_usever verstrip/libsym_ver.so verstrip/sym_usever)
FIXTURES += $(SYM_FIXTURES)

# the test binary needs its fixtures, but must not link them
$(OUT)/tests/unit/check_sym_elf $(OUT)/tests/unit/check_sym_elf_cache: | $(SYM_FIXTURES)

$(SYM_FIX_DIR)/sym_pie: $(SYM_FIX_SRC)/sym_prog.c
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(SYM_FIX_CFLAGS) -fPIE -pie -DVARIANT='"pie"' $< -o $@

$(SYM_FIX_DIR)/sym_nopie: $(SYM_FIX_SRC)/sym_prog.c
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(SYM_FIX_CFLAGS) -fno-pie -no-pie -DVARIANT='"nopie"' $< -o $@

$(SYM_FIX_DIR)/libsym_lib.so: $(SYM_FIX_SRC)/sym_lib.c
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(SYM_FIX_CFLAGS) -fPIC -shared $< -o $@

$(SYM_FIX_DIR)/sym_uselib: $(SYM_FIX_SRC)/sym_uselib.c $(SYM_FIX_DIR)/libsym_lib.so
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(SYM_FIX_CFLAGS) $< -L$(SYM_FIX_DIR) -lsym_lib -Wl,-rpath,'$$ORIGIN' -o $@

# glibc's aliases and symbol versions; verstrip/ has the same library
# stripped to its .dynsym, as distributions ship libc without debug packages
$(SYM_FIX_DIR)/libsym_ver.so: $(SYM_FIX_SRC)/sym_ver.c $(SYM_FIX_SRC)/sym_ver.map
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(SYM_FIX_CFLAGS) -fPIC -shared -Wl,--version-script=$(SYM_FIX_SRC)/sym_ver.map $< -o $@

$(SYM_FIX_DIR)/verstrip/libsym_ver.so: $(SYM_FIX_DIR)/libsym_ver.so
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)objcopy --strip-all $< $@

$(SYM_FIX_DIR)/sym_usever $(SYM_FIX_DIR)/verstrip/sym_usever: $(SYM_FIX_DIR)/%sym_usever: \
		$(SYM_FIX_SRC)/sym_usever.c $(SYM_FIX_DIR)/%libsym_ver.so
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(SYM_FIX_CFLAGS) $< -L$(@D) -lsym_ver -Wl,-rpath,'$$ORIGIN' -o $@

# debug info split off, found through .gnu_debuglink next to the binary;
# .symtab stays, so only file:line proves the debug file was found
$(SYM_FIX_DIR)/sym_dbglink.full: $(SYM_FIX_SRC)/sym_prog.c
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(SYM_FIX_CFLAGS) -DVARIANT='"dbglink"' $< -o $@

$(SYM_FIX_DIR)/sym_dbglink.debug: $(SYM_FIX_DIR)/sym_dbglink.full
	$(Q)objcopy --only-keep-debug $< $@

$(SYM_FIX_DIR)/sym_dbglink: $(SYM_FIX_DIR)/sym_dbglink.full $(SYM_FIX_DIR)/sym_dbglink.debug
	$(call msg,FIXTURE,$@)
	$(Q)cd $(@D) && objcopy --strip-debug --add-gnu-debuglink=sym_dbglink.debug sym_dbglink.full sym_dbglink

# fully stripped (no .symtab either), no debuglink: names and lines can only
# come from $(SYM_FIX_DIR)/debug/.build-id/xx/yyyy.debug
$(SYM_FIX_DIR)/sym_bidonly.full: $(SYM_FIX_SRC)/sym_prog.c
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(SYM_FIX_CFLAGS) -DVARIANT='"bidonly"' $< -o $@

$(SYM_FIX_DIR)/sym_bidonly: $(SYM_FIX_DIR)/sym_bidonly.full
	$(call msg,FIXTURE,$@)
	$(Q)objcopy --strip-all $< $@

$(SYM_FIX_DIR)/sym_bidonly.stamp: $(SYM_FIX_DIR)/sym_bidonly.full
	$(Q)id=$$(readelf -n $< | awk '/Build ID:/ { print $$3 }'); \
	test -n "$$id" || { echo "$<: no build-id note" >&2; exit 1; }; \
	d=$(SYM_FIX_DIR)/debug/.build-id/$$(echo $$id | cut -c1-2); \
	mkdir -p $$d && objcopy --only-keep-debug $< $$d/$$(echo $$id | cut -c3-).debug && \
	echo $$id > $@

$(SYM_FIX_DIR)/sym_cxx: $(SYM_FIX_SRC)/sym_cxx.cc
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CXX) $(SYM_FIX_CFLAGS) $< -o $@

$(SYM_FIX_DIR)/sym_inline: $(SYM_FIX_SRC)/sym_inline.c
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) -g -O2 -fno-omit-frame-pointer -Wall $< -o $@

$(SYM_FIX_DIR)/sym_jit: $(SYM_FIX_SRC)/sym_jit.c
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(SYM_FIX_CFLAGS) $< -o $@
