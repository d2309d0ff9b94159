# mk/dns.mk - DNS for container names in the datapath, upstream forwarding,
# interception, the TCP responder, resolv.conf files.
# See Makefile.am and doc/dns.md.
DNS_SOURCES = src/dns_wire.c src/dns.c src/dns_forward.c src/dns_tcp.c \
	src/dns_resolvconf.c
src_libvswitch_a_SOURCES += $(DNS_SOURCES) src/dns_ctl.c
noinst_HEADERS += include/dns.h include/dns_internal.h

# The unit test links the DNS files with model.c, drop.c, log.c and
# hash.c; port, egress, trace and netns are replaced by recorders in the
# test itself, so it sees every reply frame and every drop.
check_PROGRAMS += tests/unit/test_dns
TESTS += tests/unit/test_dns
tests_unit_test_dns_SOURCES = tests/unit/test_dns.c $(DNS_SOURCES) \
	src/addr.c src/model.c src/overlay.c src/drop.c src/log.c src/pkt_build.c src/hash.c src/fd_budget.c
tests_unit_test_dns_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_dns_LDADD = $(LIBEV_LIBS) $(CMOCKA_LIBS)

# The libFuzzer targets for the DNS parser and resolver are in mk/fuzz.mk.
