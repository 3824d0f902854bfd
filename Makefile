# SPDX-License-Identifier: GPL-2.0
# xdpflow: build the XDP object, the loader and the reader into build/; run tests and benchmarks.

BUILD ?= build
CC ?= gcc
CLANG ?= clang
ARCH_INC := /usr/include/$(shell $(CC) -dumpmachine)
PKGS := libxdp libbpf
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lxdp -lbpf -lelf -lz)

CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Ipin $(PKG_CFLAGS)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -Wall -Werror -I$(ARCH_INC) -Ipin

PIN_SRC := $(wildcard pin/*.c)
LOADER_SRC := $(wildcard loader/*.c)
READER_SRC := $(wildcard reader/*.c)
HDRS := $(wildcard pin/*.h loader/*.h reader/*.h)
TEST_SRC := $(wildcard tests/unit/*.c)
TEST_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))
TEST_SAN_BINS := $(patsubst tests/unit/%.c,$(BUILD)/asan/tests/%,$(TEST_SRC))
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRC))
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
BENCH_BPF := $(patsubst tests/bench/%.bpf.c,$(BUILD)/bench/%.bpf.o,$(wildcard tests/bench/*.bpf.c))
BENCH_BINS := $(filter-out %.bpf,$(BENCH_BINS))

ifneq ($(V),1)
Q := @
endif

.DELETE_ON_ERROR:
.PHONY: all deps test tests-build bench demo clean asan install uninstall fuzz

all: $(BUILD)/xdpflow.bpf.o $(BUILD)/xdpflow-loader $(BUILD)/xdpflow-reader

$(BUILD)/xdpflow.bpf.o: xdp/xdpflow.bpf.c pin/xdpflow_abi.h | $(BUILD)
	@echo "  BPF  $@"
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench/%.bpf.o: tests/bench/%.bpf.c pin/xdpflow_abi.h | $(BUILD)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/xdpflow-loader: $(LOADER_SRC) $(PIN_SRC) $(HDRS) | $(BUILD)
	@echo "  CC   $@"
	$(Q)$(CC) $(CFLAGS) -Iloader -o $@ $(LOADER_SRC) $(PIN_SRC) $(PKG_LIBS)

$(BUILD)/xdpflow-reader: $(READER_SRC) $(PIN_SRC) $(HDRS) | $(BUILD)
	@echo "  CC   $@"
	$(Q)$(CC) $(CFLAGS) -Ireader -o $@ $(READER_SRC) $(PIN_SRC) $(PKG_LIBS) -lm

# Sanitizer builds of the tools, used by the integration suites in CI.
asan: $(BUILD)/asan/xdpflow-loader $(BUILD)/asan/xdpflow-reader $(TEST_SAN_BINS)

$(BUILD)/asan/xdpflow-loader: $(LOADER_SRC) $(PIN_SRC) $(HDRS)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -Iloader -o $@ $(LOADER_SRC) $(PIN_SRC) $(PKG_LIBS)

$(BUILD)/asan/xdpflow-reader: $(READER_SRC) $(PIN_SRC) $(HDRS)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -Ireader -o $@ $(READER_SRC) $(PIN_SRC) $(PKG_LIBS) -lm

# Unit tests link the pin module and whatever reader/loader units they name
# in a "// links: reader/foo.c" comment.
links = $(shell sed -n 's|^// links: ||p' $(1))

$(BUILD)/tests/%: tests/unit/%.c tests/unit/testlib.h $(PIN_SRC) $(HDRS) $(READER_SRC) $(LOADER_SRC)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -Ireader -Iloader -o $@ $< $(call links,$<) $(PIN_SRC) $(PKG_LIBS) -lm -lpthread

$(BUILD)/asan/tests/%: tests/unit/%.c tests/unit/testlib.h $(PIN_SRC) $(HDRS) $(READER_SRC) $(LOADER_SRC)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -Itests/unit -Ireader -Iloader -o $@ $< $(call links,$<) $(PIN_SRC) $(PKG_LIBS) -lm -lpthread

# Test tools (frame senders, feeders) used by the integration suites.
$(BUILD)/tools/%: tests/tools/%.c $(PIN_SRC) $(HDRS) $(READER_SRC) $(LOADER_SRC)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -Ireader -Iloader -o $@ $< $(call links,$<) $(PIN_SRC) $(PKG_LIBS) -lm -lpthread

$(BUILD)/bench/%: tests/bench/%.c $(PIN_SRC) $(HDRS)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(PIN_SRC) $(PKG_LIBS) -lm -lpthread

$(BUILD):
	@mkdir -p $@

# Debian packages needed to build, test and demo (root on Debian 12).
deps:
	$(Q)tests/deps.sh

test: deps
	$(Q)$(MAKE) --no-print-directory all asan tests-build
	$(Q)tests/run-all.sh

tests-build: $(TEST_BINS) $(TOOL_BINS)

bench: all tests-build $(BENCH_BINS) $(BENCH_BPF)
	$(Q)tests/bench/run-bench.sh

demo: deps all
	$(Q)tests/demo.sh

clean:
	rm -rf $(BUILD)
