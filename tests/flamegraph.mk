# SPDX-License-Identifier: MIT
# Fixtures for check_flamegraph and test-flamegraph-browser: a Go program
# (standard library only, offline) that writes its own CPU profile with
# runtime/pprof, built and run here so the test reads a real Go-produced pprof.
FG_GOENV := GOCACHE=$(abspath $(OUT))/gocache GOPATH=$(abspath $(OUT))/gopath \
	GO111MODULE=off GOFLAGS= GOPROXY=off CGO_ENABLED=0

$(OUT)/fixtures/fg_goprof: tests/fixtures/fg_goprof.go
	@mkdir -p $(@D)
	$(call msg,GO,$@)
	$(Q)$(FG_GOENV) go build -o $@ $<

$(OUT)/fixtures/fg_go.pb.gz: $(OUT)/fixtures/fg_goprof
	$(call msg,RUN,$@)
	$(Q)$< $@

FIXTURES += $(OUT)/fixtures/fg_goprof $(OUT)/fixtures/fg_go.pb.gz
