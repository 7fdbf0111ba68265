# SPDX-License-Identifier: MIT
# tests/bpf/check_record_stop.c: an LD_PRELOAD shim that makes one drain fail
# mid-run, to check that record then exits 1 naming the cause.
FIXTURES += $(OUT)/fixtures/fault_bpf.so

$(OUT)/fixtures/fault_bpf.so: tests/fixtures/fault_bpf.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -Wall -Wextra -Werror -shared -fPIC $< -o $@ -ldl
