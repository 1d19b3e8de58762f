# llmux: plain make.  `make help` lists the targets.

PREFIX	?= /usr/local
DESTDIR	?=
SBINDIR	?= $(PREFIX)/sbin
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc

CC	?= cc
PKGS	 = libevent libcurl yaml-0.1 json-c lmdb libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN	 = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wcast-qual -Wno-unused-parameter
ifeq ($(CI),true)
WARN	+= -Werror
endif

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

CFLAGS	+= -std=gnu11 $(OPT) $(WARN) -Iinclude $(PKG_CFLAGS) -D_GNU_SOURCE
LDFLAGS	+= $(LDSAN)
LDLIBS	+= $(PKG_LIBS) -lm

SRCS	 = $(wildcard src/*.c)
LIB_SRCS = $(filter-out src/main.c,$(SRCS))
OBJS	 = $(SRCS:src/%.c=$(BUILD)/%.o)
LIB_OBJS = $(LIB_SRCS:src/%.c=$(BUILD)/%.o)

MOCK_SRCS = $(wildcard tests/mock/*.c)
MOCK_OBJS = $(MOCK_SRCS:tests/mock/%.c=$(BUILD)/mock/%.o)

UNIT_SRCS = $(wildcard tests/unit/*.c)
UNIT_OBJS = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%.o)

LLMUX	 = $(BUILD)/llmux
MOCK	 = $(BUILD)/llmux-mock
UNIT	 = $(BUILD)/unit-tests
MICRO	 = $(BUILD)/llmux-microbench

.PHONY: all run check unit integ configs install clean deps help sanitize-check \
	bench bench-smoke fuzz man-lint

all: $(LLMUX) $(MOCK) $(MICRO)

help:
	@echo "make            build llmux and the mock upstream into $(BUILD)/"
	@echo "make run        install deps, build, run llmux on etc/llmux/config.yaml :4000"
	@echo "make check      install deps, build, run every test"
	@echo "make SANITIZE=1 check   the same under ASan and UBSan"
	@echo "make bench      the benchmark (bench/README.md)"
	@echo "make install    install (honours DESTDIR and PREFIX)"
	@echo "make deps       apt-get install what is missing (no-op otherwise)"

$(BUILD)/%.o: src/%.c $(wildcard include/*.h) | $(BUILD)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/mock/%.o: tests/mock/%.c | $(BUILD)
	@mkdir -p $(BUILD)/mock
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/unit/%.o: tests/unit/%.c $(wildcard include/*.h) | $(BUILD)
	@mkdir -p $(BUILD)/unit
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD):
	@mkdir -p $(BUILD)

$(LLMUX): $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

$(MOCK): $(MOCK_OBJS)
	$(CC) $(LDFLAGS) -o $@ $(MOCK_OBJS) $(LDLIBS)

$(BUILD)/micro/%.o: tests/micro/%.c $(wildcard include/*.h) | $(BUILD)
	@mkdir -p $(BUILD)/micro
	$(CC) $(CFLAGS) -c -o $@ $<

$(MICRO): $(BUILD)/micro/microbench.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $(BUILD)/micro/microbench.o $(LIB_OBJS) $(LDLIBS)

$(UNIT): $(UNIT_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $(UNIT_OBJS) $(LIB_OBJS) $(LDLIBS) -lcriterion

# Fuzz targets (clang's libFuzzer), one per parser of outside input.
FUZZ_TARGETS = json sse cfg headers
FUZZ_SECONDS ?= 10
FUZZ_CFLAGS = -std=gnu11 -g -O1 -Iinclude $(PKG_CFLAGS) -D_GNU_SOURCE \
	-fsanitize=fuzzer,address,undefined

fuzz:
	@mkdir -p build-fuzz
	@for t in $(FUZZ_TARGETS); do \
		clang $(FUZZ_CFLAGS) -o build-fuzz/fuzz_$$t tests/fuzz/fuzz_$$t.c \
		    $(LIB_SRCS) $(PKG_LIBS) -lm || exit 1; \
		mkdir -p build-fuzz/corpus-$$t; \
		build-fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
		    -print_final_stats=0 build-fuzz/corpus-$$t \
		    tests/fuzz/corpus/$$t 2>&1 | tail -n 2 || exit 1; \
	done

deps:
	@sh tests/deps.sh

run: deps all
	$(LLMUX) --config etc/llmux/config.yaml --port 4000

unit: $(UNIT)
	$(UNIT) --jobs 2

integ: all
	@sh tests/integ/run.sh $(BUILD)

check: deps
	$(MAKE) all $(UNIT)
	$(MAKE) unit
	$(MAKE) configs
	$(MAKE) integ
	$(MAKE) bench-smoke
	$(MAKE) man-lint
ifneq ($(SANITIZE),1)
	$(MAKE) fuzz FUZZ_SECONDS=5
endif

configs: $(LLMUX)
	@sh tests/configs.sh $(BUILD)

sanitize-check:
	$(MAKE) SANITIZE=1 check

bench: all
	sh bench/run.sh $(BUILD)

bench-smoke: all
	sh bench/smoke.sh $(BUILD)

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
	rm -rf build build-san build-fuzz
