# SPDX-License-Identifier: MIT
# Fixtures of tests/e2e/test-names.sh (issue 13: naming what has no symbols): a Go
# program built stripped the usual way (-ldflags='-s -w'), and a C program with
# static hot functions in an unstripped and a stripped build (same code: strip
# moves nothing that is loaded). Go builds offline, as in flamegraph.mk.
NAMES_GOENV := GOCACHE=$(abspath $(OUT))/gocache GOPATH=$(abspath $(OUT))/gopath \
	GO111MODULE=off GOFLAGS= GOPROXY=off CGO_ENABLED=0

FIXTURES += $(OUT)/fixtures/go_hot_s $(OUT)/fixtures/go_hot_pie $(OUT)/fixtures/names_hot \
	$(OUT)/fixtures/names_hot_s

$(OUT)/fixtures/go_hot_s: tests/fixtures/go_hot.go
	@mkdir -p $(@D)
	$(call msg,GO,$@)
	$(Q)$(NAMES_GOENV) go build -ldflags='-s -w' -o $@ $<

$(OUT)/fixtures/go_hot_pie: tests/fixtures/go_hot.go
	@mkdir -p $(@D)
	$(call msg,GO,$@)
	$(Q)$(NAMES_GOENV) go build -buildmode=pie -ldflags='-s -w' -o $@ $<

$(OUT)/fixtures/names_hot: tests/fixtures/names_hot.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CLANG) -O1 $< -o $@

$(OUT)/fixtures/names_hot_s: $(OUT)/fixtures/names_hot
	$(call msg,STRIP,$@)
	$(Q)strip -s -o $@ $<

# MiniDebugInfo as Fedora builds it (find-debuginfo's add_minidebug): the
# function symbols only, in an xz-compressed ELF placed in .gnu_debugdata of
# the stripped binary.
FIXTURES += $(OUT)/fixtures/names_hot_mdi
$(OUT)/fixtures/names_hot_mdi: $(OUT)/fixtures/names_hot
	$(call msg,MINIDBG,$@)
	$(Q)nm $< --format=posix --defined-only | awk '$$2 ~ /^[TtWw]$$/ { print $$1 }' | sort -u >$@.funcs
	$(Q)objcopy --only-keep-debug $< $@.dbg
	$(Q)objcopy -S --remove-section .gdb_index --remove-section .comment \
		--keep-symbols=$@.funcs $@.dbg $@.mini
	$(Q)rm -f $@.mini.xz && xz $@.mini
	$(Q)strip -s -o $@.tmp $<
	$(Q)objcopy --add-section .gnu_debugdata=$@.mini.xz $@.tmp
	$(Q)rm -f $@.funcs $@.dbg $@.mini.xz && mv $@.tmp $@

# debuginfod (tests/e2e/test-debuginfod.sh): a stripped build with no debug link,
# and its debug file alone in a directory a local debuginfod server indexes.
FIXTURES += $(OUT)/fixtures/names_hot_g $(OUT)/fixtures/names_hot_gs \
	$(OUT)/fixtures/debuginfod/names_hot_g.debug
$(OUT)/fixtures/names_hot_g: tests/fixtures/names_hot.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CLANG) -O1 -g -Wl,--build-id $< -o $@

$(OUT)/fixtures/names_hot_gs: $(OUT)/fixtures/names_hot_g
	$(call msg,STRIP,$@)
	$(Q)strip -s -o $@ $<

$(OUT)/fixtures/debuginfod/names_hot_g.debug: $(OUT)/fixtures/names_hot_g
	@mkdir -p $(@D)
	$(call msg,OBJCOPY,$@)
	$(Q)objcopy --only-keep-debug $< $@
