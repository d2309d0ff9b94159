# mk/l2.mk - ingress, MAC learning, L2 forwarding, the per-network gateway,
# egress.  See Makefile.am.
src_libvswitch_a_SOURCES += \
	src/ingress.c src/fdb.c src/fdb_ctl.c src/l2_forward.c src/gateway.c \
	src/egress.c
noinst_HEADERS += include/fdb.h

# The unit tests link the stage files with model.c, drop.c, hash.c and
# log.c only; port.c, uplink.c, dns.c, trace.c and capture.c are replaced
# by the recorders in tests/unit/l2_fakes.c, so a test sees every frame
# sent and drop counted.
L2_UNIT_SOURCES = tests/unit/l2_fakes.c tests/unit/l2_fakes.h \
	src/fdb.c src/ingress.c src/l2_forward.c src/egress.c src/gateway.c \
	src/model.c src/drop.c src/pkt_build.c src/hash.c src/log.c
L2_UNIT_LDADD = $(LIBEV_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_fdb tests/unit/test_gateway
TESTS += tests/unit/test_fdb tests/unit/test_gateway
tests_unit_test_fdb_SOURCES = tests/unit/test_fdb.c $(L2_UNIT_SOURCES)
tests_unit_test_fdb_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_fdb_LDADD = $(L2_UNIT_LDADD)
tests_unit_test_gateway_SOURCES = tests/unit/test_gateway.c $(L2_UNIT_SOURCES)
tests_unit_test_gateway_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_gateway_LDADD = $(L2_UNIT_LDADD)
