# SPDX-License-Identifier: MIT
# The sanitizer and fuzzing trees (see tests/fuzz/run.sh and tests/run-tests.sh):
# - $(SAN_OUT): the whole build with AddressSanitizer and UndefinedBehaviorSanitizer
#   (GCC, like the main build), whose unit suites (tests/unit) `make test`
#   runs again;
# - $(FUZZ_OUT): clang with libFuzzer coverage, one binary per parser of outside
#   input, tests/fuzz/fuzz_*.c. `make test` runs each briefly on seeds that the
#   tests and the machine provide; `make fuzz` runs each for FUZZ_SECONDS.
# Warnings are errors only in the main build: sanitizer builds change what GCC
# can prove, and a -Werror there would flag its false positives.
SAN_OUT      ?= $(OUT)-san
FUZZ_OUT     ?= $(OUT)-fuzz
FUZZ_SECONDS ?= 300
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -Wno-error
FUZZ_FLAGS := -O1 -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined \
	-Wno-error

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(OUT)/fuzz/%,$(FUZZ_SRCS))

$(OUT)/fuzz/%: $(OUT)/tests/fuzz/%.o $(LIB_OBJS) $(CLI_LIB_OBJS)
	@mkdir -p $(@D)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -fsanitize=fuzzer $^ $(LDLIBS) -o $@

fuzz-bins: $(FUZZ_BINS)

san-build:
	$(Q)$(MAKE) --no-print-directory $(BUILD_JOBS) OUT=$(SAN_OUT) SAN_FLAGS="$(ASAN_FLAGS)" unit-tests

fuzz-build:
	$(Q)$(MAKE) --no-print-directory $(BUILD_JOBS) OUT=$(FUZZ_OUT) CC=$(CLANG) SAN_FLAGS="$(FUZZ_FLAGS)" fuzz-bins

fuzz: deps
	$(Q)$(MAKE) --no-print-directory tests fuzz-build
	$(Q)OUT=$(OUT) FUZZ_OUT=$(FUZZ_OUT) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

.PHONY: fuzz fuzz-bins fuzz-build san-build
