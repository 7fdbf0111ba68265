# SPDX-License-Identifier: MIT
# cprof build: the only entry point. `make` builds, `make deps` installs what is
# missing from Debian, `make test` and `make run` do both first.
.DELETE_ON_ERROR:
.SUFFIXES:

OUT      ?= build
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
PROTOC_C ?= protoc-c
PREFIX   ?= /usr/local
VERSION  := 0.1.0

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Debian packages the build, tests and benches need.
DEB_PKGS := gcc g++ make clang llvm libbpf-dev bpftool libelf-dev libdw-dev \
	libunwind-dev protobuf-c-compiler libprotobuf-c-dev libzstd-dev zlib1g-dev \
	libcurl4-openssl-dev check libsubunit-dev pkg-config golang-go linux-perf \
	bpfcc-tools libxml2-utils binutils elfutils iproute2 procps python3 time bc chromium \
	python3-protobuf protobuf-compiler zstd openssl curl xxd libdebuginfod-dev debuginfod \
	liblzma-dev xz-utils sqlite3

WARN     := -Wall -Wextra -Werror -Wno-missing-field-initializers
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -fno-omit-frame-pointer $(WARN) -MMD -MP -I. -I$(OUT) \
	-DCPROF_VERSION='"$(VERSION)"'
# SAN_FLAGS instruments the project's own objects (the sanitizer and fuzz
# trees set it; see tests/san.mk).
SAN_FLAGS ?=
CFLAGS   += $(SAN_FLAGS)
LDFLAGS  += $(SAN_FLAGS)
LDLIBS   := -lbpf -ldw -lelf -lprotobuf-c -lz -lzstd -lcurl -lpthread

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -I$(OUT) -I.

BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
SKELS      := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
PROTOS     := $(wildcard proto/*.proto)
PB_SRCS    := $(patsubst proto/%.proto,$(OUT)/proto/%.pb-c.c,$(PROTOS))
PB_HDRS    := $(PB_SRCS:.c=.h)
# One static library per layer. The rule (see README "Layout"):
#   profiler -> symbolize, export/ship -> export -> proto; every one -> base.
# `layers` links each library alone with the ones it may use, every object
# forced in: a call across the rule is an undefined reference there.
LAYERS     := base symbolize proto export ship
base_SRCS      := $(wildcard base/*.c)
symbolize_SRCS := $(wildcard symbolize/*.c)
export_SRCS    := $(wildcard export/*.c)
ship_SRCS      := $(wildcard export/ship/*.c)
base_DEPS      :=
symbolize_DEPS := base
proto_DEPS     :=
export_DEPS    := proto base
ship_DEPS      := export proto base
$(foreach l,base symbolize export ship,$(eval $(l)_OBJS := $(patsubst %.c,$(OUT)/%.o,$($(l)_SRCS))))
proto_OBJS := $(PB_SRCS:.c=.o)
layer_lib   = $(OUT)/lib/lib$(1).a
LIB_SRCS   := $(base_SRCS) $(symbolize_SRCS) $(export_SRCS) $(ship_SRCS)
LIB_OBJS   := $(patsubst %.c,$(OUT)/%.o,$(LIB_SRCS)) $(PB_SRCS:.c=.o)
LIB_ARCHIVES := $(foreach l,ship export proto symbolize base,$(call layer_lib,$(l)))
CLI_SRCS   := $(wildcard profiler/*.c profiler/*/*.c)
CLI_OBJS   := $(patsubst %.c,$(OUT)/%.o,$(CLI_SRCS))
# What tests may link from profiler/: everything but main().
CLI_LIB_OBJS := $(filter-out $(OUT)/profiler/main.o,$(CLI_OBJS))
# tests/unit: pure suites, no root or BPF, run again under the sanitizers;
# tests/bpf: root-only integration suites that load BPF and drive the real
# cprof; tests/e2e: shell end-to-end scripts (run by tests/run-tests.sh).
UNIT_BINS  := $(patsubst tests/%.c,$(OUT)/tests/%,$(wildcard tests/unit/check_*.c))
BPF_BINS   := $(patsubst tests/%.c,$(OUT)/tests/%,$(wildcard tests/bpf/check_*.c))
TEST_BINS  := $(UNIT_BINS) $(BPF_BINS)

all: $(OUT)/cprof

# --- set-up ---------------------------------------------------------------
deps:
	@missing=$$(for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		if [ "$$(id -u)" != 0 ]; then echo "make deps: run as root to install packages" >&2; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi

# --- kernel side ------------------------------------------------------------
$(OUT)/vmlinux.h:
	@mkdir -p $(@D)
	$(call msg,GEN,$@)
	$(Q)if [ ! -r /sys/kernel/btf/vmlinux ]; then echo "no BTF: /sys/kernel/btf/vmlinux is missing (kernel needs CONFIG_DEBUG_INFO_BTF=y)" >&2; exit 1; fi
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

# -MMD: each BPF object depends on the ABI headers it includes, as C objects do
$(OUT)/%.bpf.o: bpf/%.bpf.c $(OUT)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -MF $(@:.o=.d) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# --- protobuf ---------------------------------------------------------------
$(OUT)/proto/%.pb-c.c $(OUT)/proto/%.pb-c.h: proto/%.proto
	@mkdir -p $(@D)
	$(call msg,PROTOC,$<)
	$(Q)$(PROTOC_C) --c_out=$(OUT) $<

$(OUT)/proto/%.pb-c.o: $(OUT)/proto/%.pb-c.c
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Wno-error -c $< -o $@

# --- userspace --------------------------------------------------------------
$(OUT)/%.o: %.c | $(PB_HDRS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(CLI_OBJS): $(SKELS)

# The flame graph viewer's script and style, real files embedded as C strings.
$(OUT)/export/flamegraph_assets.h: export/flamegraph.js export/flamegraph.css
	@mkdir -p $(@D)
	$(call msg,GEN,$@)
	$(Q)for f in $^; do echo "static const char $$(basename $$f | tr . _)[] = {"; \
		xxd -i < $$f; echo ", 0x00 };"; done > $@
$(OUT)/export/flamegraph_svg.o: $(OUT)/export/flamegraph_assets.h

$(OUT)/lib/lib%.a:
	@mkdir -p $(@D)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^
$(foreach l,$(LAYERS),$(eval $(call layer_lib,$(l)): $($(l)_OBJS)))

$(OUT)/cprof: $(CLI_OBJS) $(LIB_ARCHIVES)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $(CLI_OBJS) $(LIB_ARCHIVES) $(LDLIBS) -o $@

# The dependency rule, checked by the linker (see LAYERS above).
$(OUT)/lib/layers.c:
	@mkdir -p $(@D)
	$(Q)echo 'int main(void) { return 0; }' > $@
$(OUT)/lib/layer-%: $(OUT)/lib/layers.o $(LIB_ARCHIVES)
	$(call msg,LAYER,$*)
	$(Q)$(CC) $(LDFLAGS) $< -Wl,--whole-archive $(call layer_lib,$*) -Wl,--no-whole-archive \
		$(foreach d,$($*_DEPS),$(call layer_lib,$(d))) $(LDLIBS) -o $@ || \
		{ echo "layering: lib$*.a may use only: $(or $($*_DEPS),libc and system libraries)" >&2; exit 1; }
$(OUT)/lib/layers.o: $(OUT)/lib/layers.c
	$(Q)$(CC) $(CFLAGS) -c $< -o $@
layers: $(foreach l,$(LAYERS),$(OUT)/lib/layer-$(l))

# --- tests ------------------------------------------------------------------
FIXTURES :=
-include tests/*.mk bench/*.mk

CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

$(OUT)/tests/%: $(OUT)/tests/%.o $(LIB_OBJS) $(CLI_LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) $(CHECK_LIBS) -o $@

tests: $(TEST_BINS) $(FIXTURES) $(OUT)/cprof layers
unit-tests: $(UNIT_BINS) $(FIXTURES)

# `make test` (no -j) would compile its ~550 objects one at a time: unless
# the make above shares its job slots, its builds take one job per CPU.
BUILD_JOBS = $(if $(findstring jobserver,$(MAKEFLAGS)),,-j$(shell nproc 2>/dev/null || echo 1))

# every suite, then the unit suites again under ASan+UBSan, then each fuzz
# target briefly (tests/san.mk)
test: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD_JOBS) tests san-build fuzz-build
	$(Q)OUT=$(OUT) SAN_OUT=$(SAN_OUT) FUZZ_OUT=$(FUZZ_OUT) tests/run-tests.sh

# --- run / bench / install ----------------------------------------------------
run: deps
	$(Q)$(MAKE) --no-print-directory all $(OUT)/fixtures/work
	@echo "profiling the whole machine for 10 s (with $(OUT)/fixtures/work as a demo load)..."
	$(Q)$(OUT)/fixtures/work 9 & \
	$(OUT)/cprof -a -d 10 -o cprof-run.pb.gz --flamegraph cprof-run.svg; rc=$$?; wait; exit $$rc
	go tool pprof -top -nodecount=25 cprof-run.pb.gz
	@echo "flame graph: cprof-run.svg (open it in a browser)"

bench: deps
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)OUT=$(OUT) bench/run-all.sh

SYSTEMD_UNITDIR ?= $(PREFIX)/lib/systemd/system

install: $(OUT)/cprof
	install -D -m 0755 $(OUT)/cprof $(DESTDIR)$(PREFIX)/bin/cprof
	install -D -m 0644 doc/cprof.1 $(DESTDIR)$(PREFIX)/share/man/man1/cprof.1
	install -d $(DESTDIR)$(SYSTEMD_UNITDIR)
	sed 's|/usr/local/bin/cprof|$(PREFIX)/bin/cprof|; s|/usr/local/share/doc|$(PREFIX)/share/doc|' \
		dist/cprof-agent.service >$(DESTDIR)$(SYSTEMD_UNITDIR)/cprof-agent.service
	chmod 0644 $(DESTDIR)$(SYSTEMD_UNITDIR)/cprof-agent.service
	install -D -m 0644 dist/agent.conf.example $(DESTDIR)$(PREFIX)/share/doc/cprof/agent.conf.example

clean:
	rm -rf $(OUT) $(SAN_OUT) $(FUZZ_OUT)

.PHONY: all deps test tests unit-tests run bench install clean layers
.SECONDARY:

-include $(shell find $(OUT) -name '*.d' 2>/dev/null)
