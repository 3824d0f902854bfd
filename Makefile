# SPDX-License-Identifier: GPL-2.0
# xdpflow: build the XDP object, the loader and the reader into build/; run tests and benchmarks.

BUILD ?= build
CC ?= gcc
CLANG ?= clang
AR ?= ar
# Debian's multiarch triplet (x86_64-linux-gnu): the kernel headers' folder and the BPF objects' one.
MULTIARCH := $(shell $(CC) -print-multiarch)
ARCH_INC := /usr/include/$(MULTIARCH)
# zlib: the kernel's configuration in /proc/config.gz (pin/kconfig.c, its CONFIG_HZ).
PKGS := libxdp libbpf zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lxdp -lbpf -lelf -lz)

# The version is debian/changelog's (its first line), the one place it is written: both tools
# print it, and the Debian package carries it. sed, so building needs no dpkg-dev.
VERSION_SED := 1s/^xdpflow (\([^)]*\)).*/\1/p
VERSION := $(shell sed -n '$(VERSION_SED)' debian/changelog)
ifeq ($(VERSION),)
$(error cannot read the version from debian/changelog's first line: "xdpflow (VERSION) ...")
endif
# libxdp has no call that tells its version at run time: --version says the one built against.
LIBXDP_VERSION := $(or $(shell pkg-config --modversion libxdp 2>/dev/null),unknown)
# What the tools know of the build: their version, libxdp's, and where the XDP object is installed
# (BPFDIR, the folder of make install and the Debian package; the loader also looks in
# ../BPFSUBDIR from its own folder, so a tree installed with any PREFIX or DESTDIR works).
XDPFLOW_DEFS = -DXDPFLOW_VERSION='"$(VERSION)"' -DXDPFLOW_BPF_DIR='"$(BPFDIR)"' \
	-DXDPFLOW_BPF_SUBDIR='"$(BPFSUBDIR)"' -DXDPFLOW_LIBXDP_VERSION='"$(LIBXDP_VERSION)"'

CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $(PKG_CFLAGS) $(XDPFLOW_DEFS)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -Wall -Werror -I$(ARCH_INC) -Ipin

# The tree (docs/DESIGN.md): pin/ is the library both tools and the C tests link
# (build/libxdpflow.a); reader/view/ and reader/format/ are the report library on it
# (build/libxdpflow-report.a: one read as views, rates and output formats), which both tools
# link, so the loader's run and status print the reader's tables (with reader/export/testkill.c,
# the drain test aid the report's flush steps call); loader/ and the rest of
# reader/ (main, options, export/) are the tools. The loader links only the two libraries, so
# a view or format that called into the reader's own files would not link.
PIN_SRC := $(wildcard pin/*.c)
REPORT_SRC := $(wildcard reader/view/*.c reader/format/*.c) reader/export/testkill.c
LOADER_SRC := $(wildcard loader/*.c)
READER_SRC := $(filter-out $(REPORT_SRC),$(wildcard reader/*.c reader/*/*.c))
HDRS := $(wildcard pin/*.h loader/*.h reader/*.h reader/*/*.h)
TEST_SRC := $(wildcard tests/unit/*.c)
TEST_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))
TEST_SAN_BINS := $(patsubst tests/unit/%.c,$(BUILD)/asan/tests/%,$(TEST_SRC))
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRC))
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
BENCH_BPF := $(patsubst tests/bench/%.bpf.c,$(BUILD)/bench/%.bpf.o,$(filter-out %/proto.bpf.c,$(wildcard tests/bench/*.bpf.c)))
BENCH_BINS := $(filter-out %.bpf,$(BENCH_BINS))

# Prototype flow caches (tests/bench/proto.bpf.c, issue 17), one object per setting:
# sets, ways, a miss evicts (0) or bypasses with admission (1), protocol counts per CPU (0) or
# derived from flows (1), torn-read generation word off (0), atomic (1) or plain stores (2) or
# plain stores in a per-CPU array of their own (3), set headers inside the sets (0) or apart
# (1), skip the cache while it hardly hits (1), the cache behind an outer map (1) or in two
# banks of a plain map (0), frame length by the helper (0) or data_end - data (1), times on (1)
# or off (0), count nothing (1: the parser's floor), the parser of xdp/xdpflow_parse.h (1), the cache
# as a CPU-indexed mmapable array (1).
proto_flags = -DPC_SETS=$(word 1,$(1)) -DPC_WAYS=$(word 2,$(1)) -DPC_BYPASS=$(word 3,$(1)) \
	-DPC_DERIVED=$(word 4,$(1)) -DPC_GEN=$(word 5,$(1)) -DPC_APART=$(word 6,$(1)) \
	-DPC_ADAPT=$(or $(word 7,$(1)),0) -DPC_OUTER=$(or $(word 8,$(1)),1) \
	-DPC_LEN=$(or $(word 9,$(1)),0) -DPC_TIME=$(or $(word 10,$(1)),1) \
	-DPC_FLOOR=$(or $(word 11,$(1)),0) -DPC_WORDS=$(or $(word 12,$(1)),0) \
	-DPC_MMAP=$(or $(word 13,$(1)),0)
PROTO_dm256 := 256 1 0 0 0 0
PROTO_dm256g := 256 1 0 0 1 0
PROTO_dm256p := 256 1 0 0 2 0
PROTO_e4w2kd := 512 4 0 1 2 0
PROTO_b4w1k := 256 4 1 0 2 0
PROTO_b4w2kd := 512 4 1 1 2 0
PROTO_b4w2kdx := 512 4 1 1 2 0 1
PROTO_b4w2kda := 512 4 1 1 2 1
PROTO_b2w2kda := 1024 2 1 1 2 1
PROTO_b1w2kd := 2048 1 1 1 2 0
# Issue 17's second round (docs/PERFORMANCE.md): the cache as a plain map in two banks (o),
# frame length without the helper (l), no times (t), the parser alone (floor), the key built
# in 64-bit words (w), generation words apart (g) or none (0), a CPU-indexed array (m).
PROTO_b4w2kdo := 512 4 1 1 2 0 0 0
PROTO_b4w2kdl := 512 4 1 1 2 0 0 1 1
PROTO_b4w2kdt := 512 4 1 1 2 0 0 1 0 0
PROTO_floor := 512 4 1 1 2 0 0 1 0 1 1
PROTO_floorl := 512 4 1 1 2 0 0 1 1 1 1
PROTO_floorw := 512 4 1 1 2 0 0 1 0 1 1 1
PROTO_b4w2kdw := 512 4 1 1 2 0 0 1 0 1 0 1
PROTO_b4w2kdwl := 512 4 1 1 2 0 0 1 1 1 0 1
PROTO_b4w2kdwt := 512 4 1 1 2 0 0 1 0 0 0 1
PROTO_b4w2kdwo := 512 4 1 1 2 0 0 0 0 1 0 1
PROTO_b4w2kdwm := 512 4 1 1 2 0 0 1 0 1 0 1 1
PROTO_b4w2kdwx := 512 4 1 1 2 0 1 1 0 1 0 1
PROTO_b4w2kdwg := 512 4 1 1 3 0 0 1 0 1 0 1
PROTO_b4w2kdw0 := 512 4 1 1 0 0 0 1 0 1 0 1
PROTO_b4w2kdwga := 512 4 1 1 4 0 0 1 0 1 0 1
PROTO_NAMES := dm256 dm256g dm256p e4w2kd b4w1k b4w2kda b2w2kda b1w2kd b4w2kd b4w2kdx \
	b4w2kdo b4w2kdl b4w2kdt floor floorl floorw b4w2kdw \
	b4w2kdwl b4w2kdwt b4w2kdwo b4w2kdwm b4w2kdwx \
	b4w2kdwg b4w2kdw0 b4w2kdwga
PROTO_BPF := $(patsubst %,$(BUILD)/bench/proto-%.bpf.o,$(PROTO_NAMES))
# The ones make bench puts on the curve next to the product (curve.c takes at most 12).
PROTO_CURVE := $(patsubst %,$(BUILD)/bench/proto-%.bpf.o,dm256 b4w2kd b4w2kdw0 b4w2kdwg)

# One object per source (build/obj/, build/asan/obj/ for the sanitizer builds), with the
# headers it includes as its dependencies (-MMD).
OBJ := $(BUILD)/obj
SAN_OBJ := $(BUILD)/asan/obj
LIB := $(BUILD)/libxdpflow.a
SAN_LIB := $(BUILD)/asan/libxdpflow.a
REPORT_LIB := $(BUILD)/libxdpflow-report.a
SAN_REPORT_LIB := $(BUILD)/asan/libxdpflow-report.a
DEPS := $(BUILD)/deps
objs = $(patsubst %.c,$(2)/%.o,$(1))
# Every source sees pin/; a tool's sources also see their own folder, the loader's reader/ too
# (for the report library's headers).
incs = -Ipin $(addprefix -I,$(filter loader reader,$(firstword $(subst /, ,$(1))))) \
	$(if $(filter loader/%,$(1)),-Ireader)

# A test, tool or fuzz target links the units its "// links: dir/unit.c ..." line names
# (and the library), sees their folders, and is rebuilt when one of them changes.
links = $(shell sed -n 's|^// links: ||p' $(1))
link_incs = $(sort $(foreach u,$(call links,$(1)),$(call incs,$(u))))

ifneq ($(V),1)
Q := @
endif

.DELETE_ON_ERROR:
.SECONDEXPANSION:
.PHONY: all deps test tests-build bench performance performance-doc demo clean asan install uninstall fuzz man deb soak

all: $(BUILD)/xdpflow.bpf.o $(BUILD)/xdpflow-loader $(BUILD)/xdpflow-reader

$(BUILD)/xdpflow.bpf.o: xdp/xdpflow.bpf.c $(wildcard xdp/*.h) pin/xdpflow_abi.h | $(BUILD)
	@echo "  BPF  $@"
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench/%.bpf.o: tests/bench/%.bpf.c $(wildcard tests/bench/*.h xdp/*.h) pin/xdpflow_abi.h | $(BUILD)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -Ixdp -c $< -o $@

$(BUILD)/bench/proto-%.bpf.o: tests/bench/proto.bpf.c $(wildcard tests/bench/*.h xdp/*.h) pin/xdpflow_abi.h Makefile | $(BUILD)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -Ixdp $(call proto_flags,$(PROTO_$*)) -c $< -o $@

# A second XDP program for the VM tier's coexistence tests (tests/vm/guest-coexist.sh).
$(BUILD)/vm/%.bpf.o: tests/vm/%.bpf.c | $(BUILD)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# The version and the install folders are compiled in (XDPFLOW_DEFS): debian/changelog too.
$(OBJ)/%.o: %.c debian/changelog
	@mkdir -p $(@D)
	@echo "  CC   $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(call incs,$<) -MMD -MP -c $< -o $@

$(SAN_OBJ)/%.o: %.c debian/changelog
	@mkdir -p $(@D)
	@echo "  CC   $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN_FLAGS) $(call incs,$<) -MMD -MP -c $< -o $@

$(LIB): $(call objs,$(PIN_SRC),$(OBJ))
	@echo "  AR   $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(SAN_LIB): $(call objs,$(PIN_SRC),$(SAN_OBJ))
	@echo "  AR   $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(REPORT_LIB): $(call objs,$(REPORT_SRC),$(OBJ))
	@echo "  AR   $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(SAN_REPORT_LIB): $(call objs,$(REPORT_SRC),$(SAN_OBJ))
	@echo "  AR   $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/xdpflow-loader: $(call objs,$(LOADER_SRC),$(OBJ)) $(REPORT_LIB) $(LIB)
	@echo "  LD   $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(PKG_LIBS) -lm

$(BUILD)/xdpflow-reader: $(call objs,$(READER_SRC),$(OBJ)) $(REPORT_LIB) $(LIB)
	@echo "  LD   $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(PKG_LIBS) -lm

# Sanitizer builds of the tools, used by the integration suites in CI.
asan: $(BUILD)/asan/xdpflow-loader $(BUILD)/asan/xdpflow-reader $(TEST_SAN_BINS)

$(BUILD)/asan/xdpflow-loader: $(call objs,$(LOADER_SRC),$(SAN_OBJ)) $(SAN_REPORT_LIB) $(SAN_LIB)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/asan/xdpflow-reader: $(call objs,$(READER_SRC),$(SAN_OBJ)) $(SAN_REPORT_LIB) $(SAN_LIB)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS) -lm

# Unit tests: the test, the units of its "// links:" line, the library.
$(BUILD)/tests/%: tests/unit/%.c $$(call objs,$$(call links,tests/unit/$$*.c),$(OBJ)) $(LIB)
	@mkdir -p $(@D) $(DEPS)/tests
	@echo "  CC   $@"
	$(Q)$(CC) $(CFLAGS) -Itests/unit -Ipin $(call link_incs,$<) -MMD -MP -MF $(DEPS)/tests/$*.d \
		-o $@ $< $(filter %.o,$^) $(LIB) $(PKG_LIBS) -lm -lpthread

$(BUILD)/asan/tests/%: tests/unit/%.c $$(call objs,$$(call links,tests/unit/$$*.c),$(SAN_OBJ)) $(SAN_LIB)
	@mkdir -p $(@D) $(DEPS)/asan/tests
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -Itests/unit -Ipin $(call link_incs,$<) -MMD -MP \
		-MF $(DEPS)/asan/tests/$*.d -o $@ $< $(filter %.o,$^) $(SAN_LIB) $(PKG_LIBS) -lm -lpthread

# Test tools (frame senders, feeders) used by the integration suites.
$(BUILD)/tools/%: tests/tools/%.c $$(call objs,$$(call links,tests/tools/$$*.c),$(OBJ)) $(LIB)
	@mkdir -p $(@D) $(DEPS)/tools
	$(Q)$(CC) $(CFLAGS) -Ipin $(call link_incs,$<) -MMD -MP -MF $(DEPS)/tools/$*.d \
		-o $@ $< $(filter %.o,$^) $(LIB) $(PKG_LIBS) -lm -lpthread

$(BUILD)/bench/%: tests/bench/%.c $(LIB)
	@mkdir -p $(@D) $(DEPS)/bench
	$(Q)$(CC) $(CFLAGS) -Ipin -Itests/unit -MMD -MP -MF $(DEPS)/bench/$*.d -o $@ $< $(LIB) $(PKG_LIBS) \
		-lm -lpthread

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

$(BUILD):
	@mkdir -p $@

# Debian packages needed to build, test and demo (root on Debian 12).
deps:
	$(Q)tests/deps.sh

test: deps
	$(Q)$(MAKE) --no-print-directory all asan tests-build
	$(Q)tests/run-all.sh

tests-build: $(TEST_BINS) $(TOOL_BINS) $(BUILD)/vm/other.bpf.o

# make bench prints every benchmark's tables and saves its output in build/bench/results/.
# make performance (docs/TESTING.md): make bench, then its results go to docs/perf/results/
# (the curve's plot to docs/perf-curve.svg) and tests/bench/perf-doc.py writes
# docs/PERFORMANCE.md from them, stamped with the commit measured; commit the three together.
# make performance-doc: only the last step, from the committed results.
PERF_RESULTS := docs/perf/results
bench: all tests-build $(BENCH_BINS) $(BENCH_BPF) $(PROTO_BPF)
	$(Q)PROTOS="$(PROTO_CURVE)" tests/bench/run-bench.sh

performance: bench
	$(Q)rm -rf $(PERF_RESULTS) && mkdir -p $(PERF_RESULTS) && cp $(BUILD)/bench/results/* $(PERF_RESULTS)/
	$(Q)if [ -s $(BUILD)/bench/curve.svg ]; then cp $(BUILD)/bench/curve.svg docs/perf-curve.svg; \
		else echo "performance: no curve plot (gnuplot missing?): docs/perf-curve.svg not updated" >&2; exit 1; fi
	$(Q)tests/bench/perf-doc.py --results $(PERF_RESULTS)

performance-doc:
	$(Q)tests/bench/perf-doc.py --results $(PERF_RESULTS)

demo: deps all
	$(Q)tests/demo.sh

# The long soak (docs/TESTING.md): tests/test-soak.sh for SOAK_SECONDS (make test runs a
# 60-second version); its log goes to build/test-logs/soak.log for make reliability.
SOAK_SECONDS ?= 1800
soak: all tests-build
	@mkdir -p $(BUILD)/test-logs
	$(Q)XDPFLOW_SOAK_S=$(SOAK_SECONDS) XDPFLOW_SOAK_DRAIN_S=10 XDPFLOW_SOAK_TOGGLE_S=60 \
		tests/test-soak.sh >$(BUILD)/test-logs/soak.log 2>&1; rc=$$?; \
		tests/inputs-hash.sh >$(BUILD)/test-logs/soak.inputs; cat $(BUILD)/test-logs/soak.log; exit $$rc

# Fuzzing (docs/TESTING.md): libFuzzer targets tests/fuzz/fuzz_*.c built with clang into
# build/fuzz/ (each links the units of its "// links:" line), then 'make fuzz' runs each
# for FUZZ_SECONDS and the packet fuzz over XDPFLOW_FUZZ_FRAMES frames. 'make test' runs
# the targets briefly through tests/test-fuzz.sh.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
FUZZ_CFLAGS = -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-string-concatenation \
	-Itests/fuzz -Ipin $(PKG_CFLAGS) $(XDPFLOW_DEFS) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SECONDS ?= 60
XDPFLOW_FUZZ_FRAMES ?= 10000000
.PHONY: fuzz-build

# Built from the sources with clang's fuzzer instrumentation; a target linking pin/log.c
# links the libraries whose log it routes, one linking pin/kconfig.c zlib (in PKG_LIBS).
$(BUILD)/fuzz/%: tests/fuzz/%.c $$(call links,tests/fuzz/$$*.c) $(wildcard tests/fuzz/*.h) $(HDRS)
	@mkdir -p $(@D)
	@echo "  FUZZ $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(call link_incs,$<) -o $@ $< $(call links,$<) -lm \
		$(if $(filter pin/log.c pin/kconfig.c,$(call links,$<)),$(PKG_LIBS))

fuzz-build: $(FUZZ_BINS)

fuzz: all tests-build fuzz-build
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) tests/test-fuzz.sh
	$(Q)XDPFLOW_FUZZ_FRAMES=$(XDPFLOW_FUZZ_FRAMES) $(BUILD)/tests/test_xdp_fuzz

# docs/RELIABILITY.md from the suites' logs of the last 'make test' (running the missing ones).
.PHONY: reliability
reliability: all asan tests-build
	$(Q)tests/reliability.sh

clean:
	rm -rf $(BUILD)

# Installation: make install [PREFIX=/usr/local] [DESTDIR=staging folder]. The man pages are
# generated from docs/man/*.scd by 'make man' (needs scdoc) and committed, so installing
# needs no extra tool. uninstall removes exactly the files of INSTALL_FILES.
# The XDP object goes where Debian's libxdp and xdp-tools put theirs, /usr/lib/<multiarch>/bpf
# (PREFIX/lib/<multiarch>/bpf): BPF bytecode follows the host's byte order and headers.
PREFIX ?= /usr/local
SBINDIR := $(PREFIX)/sbin
BPFSUBDIR := lib/$(MULTIARCH)/bpf
BPFDIR := $(PREFIX)/$(BPFSUBDIR)
MANDIR := $(PREFIX)/share/man
UNITDIR := $(PREFIX)/lib/systemd/system
COMPLETIONDIR := $(PREFIX)/share/bash-completion/completions
DOCDIR := $(PREFIX)/share/doc/xdpflow
EXAMPLEDIR := $(DOCDIR)/examples
MAN_SRC := $(wildcard docs/man/*.scd)
MAN_PAGES := $(MAN_SRC:.scd=)
# The documents the man pages point to.
DOCS := README.md docs/DESIGN.md docs/EXPORT.md docs/PERFORMANCE.md docs/PERFORMANCE-HISTORY.md docs/perf-curve.svg
# Each entry: destination=source=mode; a source ending in .in gets @SBINDIR@ substituted.
INSTALL_LIST := \
	$(SBINDIR)/xdpflow-loader=$(BUILD)/xdpflow-loader=0755 \
	$(SBINDIR)/xdpflow-reader=$(BUILD)/xdpflow-reader=0755 \
	$(BPFDIR)/xdpflow.bpf.o=$(BUILD)/xdpflow.bpf.o=0644 \
	$(foreach p,$(filter %.8,$(MAN_PAGES)),$(MANDIR)/man8/$(notdir $(p))=$(p)=0644) \
	$(foreach p,$(filter %.7,$(MAN_PAGES)),$(MANDIR)/man7/$(notdir $(p))=$(p)=0644) \
	$(UNITDIR)/xdpflow@.service=packaging/systemd/xdpflow@.service.in=0644 \
	$(COMPLETIONDIR)/xdpflow-loader=packaging/completion/xdpflow-loader=0644 \
	$(COMPLETIONDIR)/xdpflow-reader=packaging/completion/xdpflow-reader=0644 \
	$(EXAMPLEDIR)/xdpflow-export.service=packaging/systemd/xdpflow-export.service.in=0644 \
	$(EXAMPLEDIR)/xdpflow-export.timer=packaging/systemd/xdpflow-export.timer=0644 \
	$(EXAMPLEDIR)/xdpflow-export.cron=packaging/cron/xdpflow-export.cron.in=0644 \
	$(foreach d,$(DOCS),$(DOCDIR)/$(notdir $(d))=$(d)=0644)
INSTALL_FILES := $(foreach e,$(INSTALL_LIST),$(word 1,$(subst =, ,$(e))))

install: all
	$(Q)set -e; for e in $(INSTALL_LIST); do \
		dst=$(DESTDIR)$${e%%=*}; rest=$${e#*=}; src=$${rest%%=*}; mode=$${rest#*=}; \
		echo "  INSTALL $$dst"; \
		install -d -m 0755 "$$(dirname "$$dst")"; \
		case $$src in \
		*.in) sed 's|@SBINDIR@|$(SBINDIR)|g' "$$src" >"$$dst.tmp" && \
		      chmod $$mode "$$dst.tmp" && mv -f "$$dst.tmp" "$$dst" ;; \
		*) install -m $$mode "$$src" "$$dst" ;; \
		esac; \
	done

uninstall:
	$(Q)for f in $(INSTALL_FILES); do \
		if [ -e "$(DESTDIR)$$f" ]; then echo "  RM   $(DESTDIR)$$f"; rm -f "$(DESTDIR)$$f"; fi; \
	done
	$(Q)for d in $(EXAMPLEDIR) $(DOCDIR) $(BPFDIR); do \
		rmdir "$(DESTDIR)$$d" 2>/dev/null || true; \
	done

# The Debian package (debian/; make deps installs debhelper and lintian). dpkg-buildpackage
# builds in debian/build, leaves build/ alone, and would write the packages next to this
# folder: here they go to $(BUILD)/ instead (xdpflow_VERSION_ARCH.deb, its -dbgsym package,
# the .buildinfo and .changes), replacing the previous ones, and debian/ is cleaned after.
deb:
	$(Q)mkdir -p $(BUILD)
	$(Q)rm -f $(BUILD)/xdpflow_*.deb $(BUILD)/xdpflow-dbgsym_*.deb $(BUILD)/xdpflow_*.buildinfo \
		$(BUILD)/xdpflow_*.changes
	$(Q)pva=xdpflow_$(VERSION)_$$(dpkg --print-architecture); \
	XDPFLOW_DEB_DIR=$(abspath $(BUILD)) dpkg-buildpackage -us -uc -b -tc \
		--buildinfo-file=$(BUILD)/$$pva.buildinfo --buildinfo-option=-u$(BUILD) \
		--changes-file=$(BUILD)/$$pva.changes --changes-option=-u$(BUILD)

# Regenerate the committed man pages from their scdoc sources (apt-get install scdoc).
# The page date is the source's last commit (or today for a new source), so an unchanged
# source gives the same page.
man:
	$(Q)command -v scdoc >/dev/null || { echo "make man: needs scdoc (apt-get install scdoc, or make deps)" >&2; exit 1; }
	$(Q)set -e; for src in $(MAN_SRC); do \
		echo "  SCDOC $${src%.scd}"; \
		epoch=$$(git log -1 --format=%ct -- "$$src" 2>/dev/null); \
		SOURCE_DATE_EPOCH=$${epoch:-$$(date +%s)} scdoc <"$$src" >"$${src%.scd}.tmp"; \
		mv -f "$${src%.scd}.tmp" "$${src%.scd}"; \
	done
