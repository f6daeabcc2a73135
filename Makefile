# mod_migate - build, demo and tests.
#
#   make          build mod_migate.so with apxs
#   make run      install what is missing, build, start the demo edge on
#                 http://127.0.0.1:8080/ in front of a stand-in MI over TLS
#   make test     install what is missing, build, run every test
#   make install  install the module and the a2enmod files

APXS      ?= apxs
CC        ?= gcc
PERL      ?= perl
BUILD     := build
SRC       := mod_migate

APR_CFLAGS := $(shell apr-1-config --cflags --cppflags --includes 2>/dev/null)
APR_LIBS   := $(shell apr-1-config --link-ld --libs 2>/dev/null)
WARN       := -Wall -Wextra -Werror
LIBS       := -lpcre2-8 -lssl -lcrypto

# The pure core: no httpd headers, unit tested and fuzzed on its own.
CORE_SRC := $(SRC)/migate_core.c $(SRC)/migate_path.c $(SRC)/migate_rules.c \
            $(SRC)/migate_uuid.c $(SRC)/migate_hdr.c $(SRC)/migate_tls.c
# The glue: httpd hooks, configuration, logging.
GLUE_SRC := $(SRC)/mod_migate.c $(SRC)/migate_config.c \
            $(SRC)/migate_request.c $(SRC)/migate_ssl.c \
            $(SRC)/migate_status.c
HEADERS  := $(wildcard $(SRC)/*.h)

UNIT_SRC  := $(wildcard t/unit/test_*.c)
UNIT_BIN  := $(patsubst t/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRC))
CORE_CFLAGS := -std=gnu11 -O2 -g $(WARN) $(APR_CFLAGS) -I$(SRC) $(EXTRA_CFLAGS)

MODULE := $(BUILD)/mod_migate.so
comma  := ,

.PHONY: all module deps unit test test-unit test-suite run stop install \
        clean bench fuzz test-asan

all: module

module: $(MODULE)

$(MODULE): $(CORE_SRC) $(GLUE_SRC) $(HEADERS)
	@mkdir -p $(BUILD)/apxs
	rm -rf $(BUILD)/apxs/* && cp $(CORE_SRC) $(GLUE_SRC) $(HEADERS) $(BUILD)/apxs/
	cd $(BUILD)/apxs && $(APXS) -c -o mod_migate.la \
	    -Wc,-std=gnu11 -Wc,-Wall -Wc,-Wextra -Wc,-Werror \
	    $(addprefix -Wc$(comma),$(EXTRA_CFLAGS)) \
	    $(addprefix -Wl$(comma),$(EXTRA_LDFLAGS)) \
	    $(notdir $(CORE_SRC) $(GLUE_SRC)) $(LIBS) >apxs.log 2>&1 \
	    || { cat apxs.log; exit 1; }
	cp $(BUILD)/apxs/.libs/mod_migate.so $@

# Unit tests: one binary per t/unit/test_*.c, linked with the whole core.
$(BUILD)/unit/%: t/unit/%.c $(CORE_SRC) $(HEADERS) t/unit/tap.h
	@mkdir -p $(BUILD)/unit
	$(CC) $(CORE_CFLAGS) -It/unit -o $@ $< $(CORE_SRC) $(APR_LIBS) $(LIBS) \
	    $(EXTRA_LDFLAGS)

unit: $(UNIT_BIN)

test-unit: $(UNIT_BIN)
	prove -e '' $(UNIT_BIN)

deps:
	@sh tools/install-deps

clean:
	rm -rf $(BUILD) t/logs t/conf/httpd.conf t/conf/*.conf t/TEST

# Certificates of the demo and the tests.
pki: $(BUILD)/pki/mi.crt
$(BUILD)/pki/mi.crt: tools/make-pki
	sh tools/make-pki $(BUILD)/pki

test-suite: module pki
	sh t/run-suite

test: deps
	$(MAKE) module unit pki
	$(MAKE) test-unit
	$(MAKE) test-suite

run: deps
	$(MAKE) module pki
	sh tools/demo

# make install [DESTDIR=/scratch]: the module through apxs into httpd's
# module directory, and the a2enmod files into Debian's mods-available
# (then: a2enmod migate && apache2ctl configtest && systemctl reload
# apache2).  DESTDIR prefixes every path, as for packaging.
LIBEXECDIR     ?= $(shell $(APXS) -q LIBEXECDIR 2>/dev/null)
MODS_AVAILABLE ?= /etc/apache2/mods-available
DESTDIR        ?=

install: $(MODULE)
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MODS_AVAILABLE)
	$(APXS) -S LIBEXECDIR=$(DESTDIR)$(LIBEXECDIR) -i -n migate $(MODULE)
	sed 's|/usr/lib/apache2/modules/|$(LIBEXECDIR)/|' conf/migate.load \
	    >$(DESTDIR)$(MODS_AVAILABLE)/migate.load
	chmod 644 $(DESTDIR)$(MODS_AVAILABLE)/migate.load
	install -m 644 conf/migate.conf $(DESTDIR)$(MODS_AVAILABLE)/migate.conf

# make bench: figures, no pass or fail (docs/performance.md).  The micro
# benchmark (no server: request id + canonical path + decision, ns and
# callgrind instructions per decision, ns per request id) and the macro
# one (wrk against bare mod_proxy, mod_migate, stock httpd and
# ModSecurity + CRS edges on loopback), printed as one table, also kept
# in build/bench/table.txt.  BENCH_SECONDS x BENCH_ROUNDS per edge.
BENCH_SECONDS ?= 5
BENCH_ROUNDS  ?= 3
BENCH_CORE := $(SRC)/migate_core.c $(SRC)/migate_path.c \
              $(SRC)/migate_rules.c $(SRC)/migate_uuid.c

$(BUILD)/bench/%: bench/%.c $(BENCH_CORE) $(HEADERS)
	@mkdir -p $(BUILD)/bench
	$(CC) $(CORE_CFLAGS) -o $@ $< $(BENCH_CORE) $(APR_LIBS) $(LIBS) \
	    $(EXTRA_LDFLAGS)

bench: $(BUILD)/bench/bench_decide $(BUILD)/bench/bench_uuid
	sh tools/install-deps wrk valgrind libapache2-mod-security2 \
	    modsecurity-crs
	$(MAKE) module pki
	sh bench/run-micro $(BUILD)/bench >/dev/null
	sh bench/run-macro $(BENCH_SECONDS) $(BENCH_ROUNDS) >/dev/null
	@{ echo "mod_migate benchmark, $$(nproc) cores:" \
	    "$$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"; \
	   cat $(BUILD)/bench/micro.txt $(BUILD)/bench/macro.txt; } \
	    | tee $(BUILD)/bench/table.txt
