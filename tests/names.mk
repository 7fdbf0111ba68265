# SPDX-License-Identifier: MIT
# Fixtures of tests/test-names.sh (issue 13: naming what has no symbols): a Go
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
