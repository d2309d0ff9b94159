# mk/dns.mk - DNS for container names in the datapath, upstream forwarding,
# interception, the TCP responder, resolv.conf files (issue 6).
# See Makefile.am and doc/dns.md.
DNS_SOURCES = src/dns_wire.c src/dns.c src/dns_forward.c src/dns_tcp.c \
	src/dns_resolvconf.c
src_libvswitch_a_SOURCES += $(DNS_SOURCES) src/dns_ctl.c
noinst_HEADERS += include/dns.h

# The unit test links the DNS files with model.c, drop.c and log.c; port,
# egress, trace and netns are replaced by recorders in the test itself, so
# it sees every reply frame and every drop.
check_PROGRAMS += tests/unit/test_dns
TESTS += tests/unit/test_dns
tests_unit_test_dns_SOURCES = tests/unit/test_dns.c $(DNS_SOURCES) \
	src/model.c src/drop.c src/log.c
tests_unit_test_dns_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_dns_LDADD = $(LIBEV_LIBS) $(CMOCKA_LIBS)

# `make fuzz-dns` (and `make fuzz`): build the libFuzzer target for the DNS
# parser with clang and run it for FUZZ_SECONDS.  Not part of `make` or
# `make check`; without clang it says so and succeeds.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DNS_SRC = $(top_srcdir)/tests/fuzz/fuzz_dns.c $(top_srcdir)/src/dns_wire.c
# The second target drives dns_input() (resolver, limits, TCP responder).
FUZZ_DNS_INPUT_SRC = $(top_srcdir)/tests/fuzz/fuzz_dns_input.c \
	$(top_srcdir)/src/dns_wire.c $(top_srcdir)/src/dns.c \
	$(top_srcdir)/src/dns_forward.c $(top_srcdir)/src/dns_tcp.c \
	$(top_srcdir)/src/dns_resolvconf.c $(top_srcdir)/src/model.c \
	$(top_srcdir)/src/drop.c $(top_srcdir)/src/log.c
FUZZ_DNS_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	-I$(top_srcdir)/include -D_GNU_SOURCE '-DHASH_FUNCTION=HASH_SFH' \
	-DHASH_NONFATAL_OOM=1 -DDNS_FUZZ
EXTRA_DIST += tests/fuzz/fuzz_dns.c tests/fuzz/fuzz_dns_input.c tests/fuzz/seeds-dns
CLEANFILES += tests/fuzz/fuzz_dns tests/fuzz/fuzz_dns_input

tests/fuzz/fuzz_dns: $(FUZZ_DNS_SRC) $(top_srcdir)/include/dns.h
	@mkdir -p tests/fuzz
	$(FUZZ_CC) $(FUZZ_DNS_CFLAGS) -o $@ $(FUZZ_DNS_SRC)

tests/fuzz/fuzz_dns_input: $(FUZZ_DNS_INPUT_SRC) $(top_srcdir)/include/dns.h
	@mkdir -p tests/fuzz
	$(FUZZ_CC) $(FUZZ_DNS_CFLAGS) -o $@ $(FUZZ_DNS_INPUT_SRC) $(LIBEV_LIBS)

fuzz-dns:
	@if ! command -v $(FUZZ_CC) >/dev/null 2>&1; then \
		echo "fuzz-dns: $(FUZZ_CC) not found, skipped"; exit 0; fi; \
	$(MAKE) $(AM_MAKEFLAGS) tests/fuzz/fuzz_dns tests/fuzz/fuzz_dns_input && \
	mkdir -p tests/fuzz/corpus-dns tests/fuzz/corpus-dns-input && \
	tests/fuzz/fuzz_dns -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		tests/fuzz/corpus-dns $(top_srcdir)/tests/fuzz/seeds-dns && \
	tests/fuzz/fuzz_dns_input -max_total_time=$(FUZZ_SECONDS) -max_len=2048 \
		tests/fuzz/corpus-dns-input

fuzz: fuzz-dns
.PHONY: fuzz fuzz-dns
