# llmux: plain make.  `make help` lists the targets.
#
# Every binary has its own source list below.  A new src/*.c is part of
# llmux (and of the unit tests and the microbenchmark) without an edit
# here; src/llmuxctl*.c make up llmuxctl instead.  Header dependencies
# come from the compiler (-MMD), so editing a header rebuilds exactly the
# objects that include it.

PREFIX	?= /usr/local
DESTDIR	?=
SBINDIR	?= $(PREFIX)/sbin
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc

CC	?= cc
PKGS	 = libevent libcurl yaml-0.1 json-c lmdb libcrypto
# `make deps` and the targets that run it first need no library yet, and
# must not read pkg-config before deps has installed it: `run` and
# `check` install, then build in a new make that reads it then.
NOPKG_GOALS = deps deps-run run check sanitize-check clean help man-lint \
	      fresh-build fresh-root
ifneq ($(filter-out $(NOPKG_GOALS),$(or $(MAKECMDGOALS),all)),)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>&1)
ifneq ($(.SHELLSTATUS),0)
$(error pkg-config --cflags $(PKGS) failed: $(PKG_CFLAGS); \
`make deps` installs pkg-config and the libraries)
endif
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>&1)
ifneq ($(.SHELLSTATUS),0)
$(error pkg-config --libs $(PKGS) failed: $(PKG_LIBS))
endif
endif

# .ci/run adds WERROR=-Werror; a plain make keeps warnings warnings.
WERROR	?=
WARN	 = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wcast-qual -Wno-unused-parameter $(WERROR)

ifeq ($(SANITIZE),1)
BUILD	?= build-san
OPT	 = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	   -fno-sanitize-recover=undefined
LDSAN	 = -fsanitize=address,undefined
else
BUILD	?= build
OPT	?= -O2 -g
LDSAN	 =
endif

BASE_CFLAGS = -std=gnu11 $(WARN) -Iinclude $(PKG_CFLAGS) -D_GNU_SOURCE
CFLAGS	+= $(OPT) $(BASE_CFLAGS)
DEPFLAGS = -MMD -MP
LDFLAGS	+= $(LDSAN)
LDLIBS	+= $(PKG_LIBS) -lm

# ---- source lists, one per binary ---------------------------------------

CTL_SRCS   = $(wildcard src/llmuxctl*.c)
LLMUX_SRCS = $(filter-out $(CTL_SRCS),$(wildcard src/*.c))
# What the unit tests and the microbenchmark link: llmux without main().
LIB_SRCS   = $(filter-out src/main.c,$(LLMUX_SRCS))
MOCK_SRCS  = $(wildcard tests/mock/*.c)
UNIT_SRCS  = $(wildcard tests/unit/*.c)
MICRO_SRCS = tests/micro/microbench.c

LLMUX	 = $(BUILD)/llmux
CTL	 = $(BUILD)/llmuxctl
MOCK	 = $(BUILD)/llmux-mock
UNIT	 = $(BUILD)/unit-tests
MICRO	 = $(BUILD)/llmux-microbench

obj	 = $(patsubst %.c,$(BUILD)/%.o,$(1))
# The price map is data (data/model_prices.tsv); the build makes its C table.
PRICE_C	 = $(BUILD)/gen/price_tab.c
PRICE_OBJ = $(BUILD)/gen/price_tab.o
LLMUX_OBJS = $(call obj,$(LLMUX_SRCS)) $(PRICE_OBJ)
LIB_OBJS   = $(call obj,$(LIB_SRCS)) $(PRICE_OBJ)
CTL_OBJS   = $(call obj,$(CTL_SRCS))
MOCK_OBJS  = $(call obj,$(MOCK_SRCS))
UNIT_OBJS  = $(call obj,$(UNIT_SRCS))
MICRO_OBJS = $(call obj,$(MICRO_SRCS))

BINS	 = $(LLMUX) $(MOCK) $(MICRO) $(if $(CTL_SRCS),$(CTL))

.PHONY: all run check unit integ configs install clean deps deps-run help \
	sanitize-check bench bench-smoke smoke-deadline fuzz fuzz-build \
	man-lint headers fresh-build fresh-root

all: $(BINS)

help:
	@echo "make            build llmux and the mock upstream into $(BUILD)/"
	@echo "make run        install what building and running need, build,"
	@echo "                run llmux on etc/llmux/config.yaml :4000"
	@echo "make check      install what the tests need, build, run every test"
	@echo "make SANITIZE=1 check   the same under ASan and UBSan"
	@echo "make headers    check that every header compiles alone"
	@echo "make fresh-root FRESH_ROOT=DIR   make run and make check in a"
	@echo "                new Debian 12 root (debootstrap, as root)"
	@echo "make fuzz       build and run the fuzz targets (clang)"
	@echo "make bench      the benchmark (bench/README.md)"
	@echo "make install    install (honours DESTDIR and PREFIX)"
	@echo "make deps       apt-get install what the tests need (no-op otherwise)"
	@echo "make deps-run   only what building and running need"

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(PRICE_C): data/model_prices.tsv tools/price-tab.awk
	@mkdir -p $(@D)
	awk -f tools/price-tab.awk data/model_prices.tsv > $@.tmp && mv $@.tmp $@

$(PRICE_OBJ): $(PRICE_C)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(LLMUX): $(LLMUX_OBJS)
	$(CC) $(LDFLAGS) -o $@ $(LLMUX_OBJS) $(LDLIBS)

$(CTL): $(CTL_OBJS)
	$(CC) $(LDFLAGS) -o $@ $(CTL_OBJS) $(LDLIBS)

$(MOCK): $(MOCK_OBJS)
	$(CC) $(LDFLAGS) -o $@ $(MOCK_OBJS) $(LDLIBS)

$(MICRO): $(MICRO_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $(MICRO_OBJS) $(LIB_OBJS) $(LDLIBS)

$(UNIT): $(UNIT_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $(UNIT_OBJS) $(LIB_OBJS) $(LDLIBS) -lcriterion

# ---- every header compiles alone ----------------------------------------

# HEADERS_SKIP: headers to leave out, e.g. one being fixed elsewhere.
HEADERS_SKIP ?=
HDRS	 = $(filter-out $(HEADERS_SKIP),$(wildcard include/*.h))
HDR_OKS	 = $(HDRS:include/%.h=$(BUILD)/hdr/%.ok)

headers: $(HDR_OKS)

# Twice, so a missing include guard shows too.
$(BUILD)/hdr/%.ok: include/%.h
	@mkdir -p $(@D)
	@echo "headers: $<"
	@printf '#include "%s"\n#include "%s"\n' $(<F) $(<F) | \
	    $(CC) $(BASE_CFLAGS) -fsyntax-only -MMD -MP -MT $@ -MF $@.d \
	    -x c - && touch $@

# ---- fuzz targets (clang's libFuzzer), one per parser of outside input --
#
# Each links only the parser it tests; FUZZ_<name>_SRCS says which.  Built
# with the project's warnings into build-fuzz/, with -ffunction-sections,
# --gc-sections and -z start-stop-gc (or the coverage tables would keep
# every function), so a parser's file may hold functions whose callees
# the target does not link.

FUZZ_TARGETS = json sse cfg headers
FUZZ_SECONDS ?= 10
FUZZ_BUILD = build-fuzz
FUZZ_CC	 = clang
FUZZ_json_SRCS	  = src/json.c src/arena.c
FUZZ_sse_SRCS	  = src/stream.c
FUZZ_cfg_SRCS	  = $(wildcard src/cfg*.c) src/arena.c src/glob.c src/log.c
FUZZ_headers_SRCS = src/hdr.c
FUZZ_json_LIBS	  =
FUZZ_sse_LIBS	  =
FUZZ_cfg_LIBS	  = $(PKG_LIBS)
FUZZ_headers_LIBS =
FUZZ_CFLAGS = -g -O1 $(BASE_CFLAGS) -ffunction-sections -fdata-sections \
	-fsanitize=fuzzer-no-link,address,undefined
FUZZ_LDFLAGS = -fsanitize=fuzzer,address,undefined -Wl,--gc-sections \
	-Wl,-z,start-stop-gc
FUZZ_BINS = $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)
fobj	 = $(patsubst %.c,$(FUZZ_BUILD)/%.o,$(1))

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEPFLAGS) -c -o $@ $<

.SECONDEXPANSION:
$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o \
    $$(call fobj,$$(FUZZ_$$*_SRCS))
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(FUZZ_$*_LIBS) -lm

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_BUILD)/corpus-$$t; \
		$(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
		    -print_final_stats=0 $(FUZZ_BUILD)/corpus-$$t \
		    tests/fuzz/corpus/$$t 2>&1 | tail -n 2 || exit 1; \
	done

# ---- installing, running, testing ---------------------------------------

# tests/fresh-build.sh replaces these with a stand-in.
DEPS_CHECK ?= sh tests/deps.sh check
DEPS_RUN ?= sh tests/deps.sh run

deps:
	@$(DEPS_CHECK)

deps-run:
	@$(DEPS_RUN)

# Passed to llmux by `make run`; tests/fresh-build.sh uses --test.
RUN_FLAGS ?=

# The example config with a state folder of its own under $(BUILD), so
# that `make run` needs no /var/lib/llmux.
RUN_CONFIG = $(BUILD)/run/config.yaml

run: deps-run
	$(MAKE) all
	@mkdir -p $(BUILD)/run
	sed 's|^llmux_settings:$$|&\n  state_dir: $(abspath $(BUILD))/run/state|' \
	    etc/llmux/config.yaml >$(RUN_CONFIG)
	$(LLMUX) --config $(RUN_CONFIG) --port 4000 $(RUN_FLAGS)

unit: $(UNIT)
	$(UNIT) --jobs 2

integ: all
	@sh tests/integ/run.sh $(BUILD)

check: deps
	$(MAKE) all $(UNIT)
	$(MAKE) headers
	$(MAKE) unit
	$(MAKE) configs
	$(MAKE) integ
	$(MAKE) fresh-build
	$(MAKE) smoke-deadline
	$(MAKE) bench-smoke
	$(MAKE) man-lint
ifneq ($(SANITIZE),1)
	$(MAKE) fuzz FUZZ_SECONDS=5
endif

configs: $(LLMUX)
	@sh tests/configs.sh $(BUILD)

# The fresh-machine path: make before and after deps, pkg-config failing.
fresh-build:
	@sh tests/fresh-build.sh

# Not in check: both README commands in a new Debian 12 root (debootstrap,
# about 15 minutes, as root).  FRESH_ROOT: the folder to use.
fresh-root:
	@sh tests/fresh-root.sh $(or $(FRESH_ROOT),$(error set FRESH_ROOT)) \
	    $(FRESH_CHECK_ARGS)

sanitize-check:
	$(MAKE) SANITIZE=1 check

bench: all
	sh bench/run.sh $(BUILD)

bench-smoke: all
	sh bench/smoke.sh $(BUILD)

# The smoke passes on a machine too busy to answer in its 2 s window.
smoke-deadline: all
	@sh tests/smoke-deadline.sh $(BUILD)

man-lint:
	@for m in man/*.[0-9]; do mandoc -Tlint -W warning $$m || exit 1; done

install: $(LLMUX)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(SYSCONFDIR)/llmux
	install -m 755 $(LLMUX) $(DESTDIR)$(SBINDIR)/llmux
	install -m 644 man/llmux.8 $(DESTDIR)$(MANDIR)/man8/llmux.8
	install -m 644 man/llmux.yaml.5 $(DESTDIR)$(MANDIR)/man5/llmux.yaml.5
	install -m 640 etc/llmux/config.yaml \
	    $(DESTDIR)$(SYSCONFDIR)/llmux/config.yaml
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system \
	    $(DESTDIR)$(PREFIX)/lib/sysusers.d
	install -m 644 packaging/llmux.service \
	    $(DESTDIR)$(PREFIX)/lib/systemd/system/llmux.service
	install -m 644 packaging/llmux.sysusers \
	    $(DESTDIR)$(PREFIX)/lib/sysusers.d/llmux.conf

clean:
	rm -rf build build-san $(FUZZ_BUILD)

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/*/*/*.d $(FUZZ_BUILD)/*/*/*.d)
