# SPDX-License-Identifier: MIT
# tests/unit/check_resident.c: a library of read-only data, and one whose
# code the loader relocates (a text relocation: an absolute address in an
# instruction), which resident__drop_code() must leave as the loader wrote it.
RESIDENT_FIXTURES := $(addprefix $(OUT)/fixtures/,libresident.so libtextrel.so)
FIXTURES += $(RESIDENT_FIXTURES)

$(OUT)/tests/unit/check_resident: | $(RESIDENT_FIXTURES)

$(OUT)/fixtures/libresident.so: tests/fixtures/resident_lib.c
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) -O1 -fPIC -shared $< -o $@

$(OUT)/fixtures/libtextrel.so: tests/fixtures/textrel.c
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) -O1 -fPIC -shared -Wl,-z,notext $< -o $@
