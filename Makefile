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
            $(SRC)/migate_trie.c $(SRC)/migate_regex.c $(SRC)/migate_meta.c \
            $(SRC)/migate_uuid.c $(SRC)/migate_hdr.c $(SRC)/migate_trace.c \
            $(SRC)/migate_tls.c
# The glue: httpd hooks, configuration, logging.
GLUE_SRC := $(SRC)/mod_migate.c $(SRC)/migate_config.c \
            $(SRC)/migate_configtest.c $(SRC)/migate_configtest_backend.c \
            $(SRC)/migate_configtest_errdoc.c \
            $(SRC)/migate_route.c \
            $(SRC)/migate_request.c $(SRC)/migate_owned.c \
            $(SRC)/migate_outcome.c \
            $(SRC)/migate_protocol.c \
            $(SRC)/migate_ssl.c $(SRC)/migate_status.c
# The status counters: a table of named counters (core) in memory
# kept across restarts (glue).
CORE_SRC += $(SRC)/migate_tally.c
GLUE_SRC += $(SRC)/migate_counters.c $(SRC)/migate_describe.c
HEADERS  := $(wildcard $(SRC)/*.h)

UNIT_SRC  := $(wildcard t/unit/test_*.c)
UNIT_BIN  := $(patsubst t/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRC))
CORE_CFLAGS := -std=gnu11 -O2 -g $(WARN) $(APR_CFLAGS) -I$(SRC) $(EXTRA_CFLAGS)

MODULE := $(BUILD)/mod_migate.so
comma  := ,

.PHONY: all module deps unit test test-unit test-suite run install pki \
        clean bench fuzz test-asan man deb test-deb

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
$(BUILD)/unit/%: t/unit/%.c $(CORE_SRC) $(HEADERS) t/unit/tap.h \
                 t/unit/policy_regex.h
	@mkdir -p $(BUILD)/unit
	$(CC) $(CORE_CFLAGS) -It/unit -o $@ $< $(CORE_SRC) $(APR_LIBS) $(LIBS) \
	    $(EXTRA_LDFLAGS)

unit: $(UNIT_BIN)

# Each TAP run also keeps its output in $(BUILD)/<run>.log for the
# closing count of "make test".
TAP_LOG = { $(1); echo $$? >$(BUILD)/$(2).rc; } 2>&1 | tee $(BUILD)/$(2).log; \
	exit $$(cat $(BUILD)/$(2).rc)

test-unit: $(UNIT_BIN)
	@$(call TAP_LOG,prove -e '' $(UNIT_BIN),test-unit)

deps:
	@sh tools/install-deps

clean:
	rm -rf $(BUILD) build-asan run t/logs t/conf/httpd.conf t/conf/*.conf \
	    t/conf/apache_test_config.pm t/TEST

# Certificates of the demo and the tests.
pki: $(BUILD)/pki/mi.crt
$(BUILD)/pki/mi.crt: tools/make-pki
	sh tools/make-pki $(BUILD)/pki

test-suite: module pki
	@$(call TAP_LOG,sh t/run-suite,test-suite)

# Everything, in the order a failure is cheapest to see: the unit tests
# of the pure core, a bounded fuzz run, the Apache::Test suite against
# the module, the same suite against the sanitizer build, and a memcheck.
test: deps
	$(MAKE) module unit pki
	$(MAKE) test-unit
	$(MAKE) fuzz-smoke
	$(MAKE) test-suite
	$(MAKE) test-deb
	$(MAKE) test-asan
	$(MAKE) valgrind
	@sh tools/test-summary $(BUILD)/test-unit.log $(BUILD)/test-suite.log \
	    $(BUILD)/test-deb.log

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

# ---- Debian package and man pages (debian/, man/) ----
#
#   make man       build/man/NAME.SECTION from every man/NAME.SECTION.pod
#   make deb       build/libapache2-mod-migate_*.deb (with its .changes
#                  and .buildinfo): dpkg-buildpackage runs on a copy of
#                  the tree in build/deb-src, so that what it writes to
#                  the parent directory lands in build/
#   make test-deb  builds it, runs lintian, and as root installs, enables,
#                  configtests and purges it (t/deb/package.t)
MAN_PAGES     := $(patsubst man/%.pod,$(BUILD)/man/%,$(wildcard man/*.pod))
# debian/control's Build-Depends (debhelper-compat is debhelper's) that
# install-deps does not install anyway, build-essential, which
# dpkg-buildpackage requires, and what the test needs to install and
# check the package.
DEB_DEPS      := build-essential debhelper dpkg-dev apache2-ssl-dev
DEB_TEST_DEPS := lintian man-db libxml-libxml-perl libarchive-zip-perl

man: $(MAN_PAGES)

$(BUILD)/man/%: man/%.pod
	@mkdir -p $(BUILD)/man
	pod2man --utf8 --center=mod_migate --release=mod_migate \
	    --section=$(subst .,,$(suffix $*)) --name=$(basename $*) $< $@

deb:
	@sh tools/install-deps $(DEB_DEPS)
	rm -rf $(BUILD)/deb-src $(BUILD)/libapache2-mod-migate*_* \
	    $(BUILD)/mod-migate_*
	mkdir -p $(BUILD)/deb-src
	tar --exclude=./.git --exclude=./$(BUILD) --exclude='./build-*' \
	    --exclude=./run --exclude=./t/logs -cf - . \
	    | tar -C $(BUILD)/deb-src -xf -
	cd $(BUILD)/deb-src && dpkg-buildpackage -us -uc -b >../deb.log 2>&1 \
	    || { tail -40 ../deb.log; echo "make deb: see $(BUILD)/deb.log"; \
	         exit 1; }
	@ls $(BUILD)/*.deb $(BUILD)/*.changes $(BUILD)/*.buildinfo

test-deb:
	@sh tools/install-deps $(DEB_DEPS) $(DEB_TEST_DEPS)
	@mkdir -p $(BUILD)
	@$(call TAP_LOG,MIGATE_TEST_DEB=1 prove -v t/deb/package.t,test-deb)

# ---- Reliability: fuzzing, sanitizers, valgrind (docs/reliability.md) ----
#
#   make fuzz        every libFuzzer target for FUZZ_SECONDS (600) each
#   make fuzz-smoke  every target for FUZZ_SMOKE_SECONDS (15) each; fails
#                    on any finding (part of make test)
#   make test-asan   unit tests and the Apache::Test suite against a build
#                    with ASan + UBSan in $(ASAN_BUILD); zero reports
#   make valgrind    memcheck of a short single-process edge run
FUZZ_CC            ?= clang
FUZZ_SECONDS       ?= 600
FUZZ_SMOKE_SECONDS ?= 15
FUZZ_TARGETS       := path rules args regex template
FUZZ_BIN           := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_TARGETS))
FUZZ_CFLAGS        := -g -O1 -std=gnu11 $(WARN) \
                      -fsanitize=fuzzer,address,undefined \
                      -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_BUILD         ?= build-asan
SAN_FLAGS          := -fsanitize=address,undefined -fno-omit-frame-pointer

.PHONY: fuzz-deps fuzz-smoke fuzz-sent valgrind bench-choices

$(BUILD)/fuzz/fuzz_%: fuzz/fuzz_%.c $(CORE_SRC) $(HEADERS)
	@mkdir -p $(BUILD)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(APR_CFLAGS) -I$(SRC) -o $@ $< \
	    $(CORE_SRC) $(APR_LIBS) $(LIBS)

fuzz-deps:
	@FUZZ_CC='$(FUZZ_CC)' sh fuzz/deps

fuzz: fuzz-deps
	$(MAKE) $(FUZZ_BIN)
	sh fuzz/run $(BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)
	$(MAKE) fuzz-sent

# The differential test of what MI receives (t/gate/sent.t) with many
# more targets than "make test" sends: FUZZ_SENT_N per proxy mapping,
# from seed FUZZ_SENT_SEED.
FUZZ_SENT_N    ?= 2000
FUZZ_SENT_SEED ?= $(shell date +%s)
fuzz-sent: module pki
	MIGATE_SENT_N=$(FUZZ_SENT_N) MIGATE_SENT_SEED=$(FUZZ_SENT_SEED) \
	    sh t/run-suite t/gate/sent.t

fuzz-smoke: fuzz-deps
	$(MAKE) $(FUZZ_BIN)
	sh fuzz/run $(BUILD) $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

# The module and the unit tests built with the sanitizers, then run by
# tools/test-asan: zero sanitizer reports required (docs/reliability.md).
test-asan: module pki
	$(MAKE) BUILD=$(ASAN_BUILD) EXTRA_CFLAGS='$(SAN_FLAGS)' \
	    EXTRA_LDFLAGS='$(SAN_FLAGS)' module unit
	CC='$(CC)' sh tools/test-asan $(ASAN_BUILD) \
	    $(patsubst $(BUILD)/%,$(ASAN_BUILD)/%,$(UNIT_BIN))

valgrind: module pki
	@sh tools/install-deps valgrind
	perl t/faults/valgrind-edge $(BUILD)

# make bench: figures, no pass or fail (docs/performance.md).  The micro
# benchmark (no server: request id + canonical path + decision, ns and
# callgrind instructions per decision, ns per request id), the MI estate
# (the same on policies migate-policy writes for 1 to 3,000 synthetic
# Synapse APIs: bench/mi-estate, bench/run-estate) and the macro
# one (wrk against bare mod_proxy, mod_migate, stock httpd and
# ModSecurity + CRS edges on loopback; then CPU per request of edges with
# the MI-estate policies, bench/run-estate-macro), printed as one table,
# also kept in build/bench/table.txt.  BENCH_SECONDS x BENCH_ROUNDS per edge.
BENCH_SECONDS ?= 5
BENCH_ROUNDS  ?= 3
BENCH_CORE := $(CORE_SRC)

$(BUILD)/bench/%: bench/%.c bench/bench_cg.h $(BENCH_CORE) $(HEADERS)
	@mkdir -p $(BUILD)/bench
	$(CC) $(CORE_CFLAGS) -o $@ $< $(BENCH_CORE) $(APR_LIBS) $(LIBS) \
	    $(EXTRA_LDFLAGS)

# make bench-choices: the trie's table against apr_hash_t, merged regexes
# against one pcre2_match each (docs/performance.md), in instructions.
$(BUILD)/bench/bench_decide_apr: bench/bench_decide.c $(BENCH_CORE) $(HEADERS)
	@mkdir -p $(BUILD)/bench
	$(CC) $(CORE_CFLAGS) -DMIGATE_BENCH_APR_HASH -o $@ $< $(BENCH_CORE) \
	    $(APR_LIBS) $(LIBS) $(EXTRA_LDFLAGS)

$(BUILD)/bench/bench_decide_nomerge: bench/bench_decide.c $(BENCH_CORE) \
                                     $(HEADERS)
	@mkdir -p $(BUILD)/bench
	$(CC) $(CORE_CFLAGS) -DMIGATE_BENCH_NO_MERGE -o $@ $< $(BENCH_CORE) \
	    $(APR_LIBS) $(LIBS) $(EXTRA_LDFLAGS)

bench-choices: $(BUILD)/bench/bench_decide $(BUILD)/bench/bench_decide_apr \
               $(BUILD)/bench/bench_decide_nomerge
	sh tools/install-deps valgrind
	sh bench/run-choices $(BUILD)/bench

bench: $(BUILD)/bench/bench_decide $(BUILD)/bench/bench_uuid \
       $(BUILD)/bench/bench_hdr
	sh tools/install-deps wrk valgrind libapache2-mod-security2 \
	    modsecurity-crs
	$(MAKE) module pki
	sh bench/run-micro $(BUILD)/bench >/dev/null
	sh bench/run-estate $(BUILD)/bench >/dev/null
	sh bench/run-macro $(BENCH_SECONDS) $(BENCH_ROUNDS) >/dev/null
	sh bench/run-estate-macro $(BENCH_SECONDS) $(BENCH_ROUNDS) >/dev/null
	@{ echo "mod_migate benchmark, $$(nproc) cores:" \
	    "$$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"; \
	   cat $(BUILD)/bench/micro.txt $(BUILD)/bench/estate.txt \
	       $(BUILD)/bench/macro.txt $(BUILD)/bench/estate-macro.txt; } \
	    | tee $(BUILD)/bench/table.txt
