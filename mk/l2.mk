# mk/l2.mk - ingress, MAC learning, L2 forwarding, the per-network gateway,
# egress.  See Makefile.am.
src_libvswitch_a_SOURCES += \
	src/ingress.c src/ingress_v6.c src/fdb.c src/fdb_ctl.c src/l2_forward.c src/mld_snoop.c src/mld_snoop_ctl.c src/gateway.c \
	src/router_port.c src/egress.c src/lan.c src/lan_ctl.c src/lan_probe.c
noinst_HEADERS += include/fdb.h include/router_port.h include/lan.h include/mld_snoop.h

# The unit tests link the stage files with model.c, drop.c, hash.c and
# log.c only; port.c, uplink.c, dns.c, trace.c and capture.c are replaced
# by the recorders in tests/unit/l2_fakes.c, so a test sees every frame
# sent and drop counted.
L2_UNIT_SOURCES = tests/unit/l2_fakes.c tests/unit/l2_fakes.h \
	src/fdb.c src/ingress.c src/ingress_v6.c src/l2_forward.c src/mld_snoop.c src/egress.c src/gateway.c \
	src/lan.c src/ipam.c src/addr.c src/model.c src/overlay.c src/overlay_l2.c src/drop.c src/pkt_build.c src/router_port.c src/hash.c src/log.c
L2_UNIT_LDADD = $(LIBEV_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_fdb tests/unit/test_gateway tests/unit/test_ingress_v6 \
	tests/unit/test_lan
TESTS += tests/unit/test_fdb tests/unit/test_gateway tests/unit/test_ingress_v6 \
	tests/unit/test_lan
tests_unit_test_lan_SOURCES = tests/unit/test_lan.c $(L2_UNIT_SOURCES)
tests_unit_test_lan_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_lan_LDADD = $(L2_UNIT_LDADD)
tests_unit_test_ingress_v6_SOURCES = tests/unit/test_ingress_v6.c $(L2_UNIT_SOURCES)
tests_unit_test_ingress_v6_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ingress_v6_LDADD = $(L2_UNIT_LDADD)
tests_unit_test_fdb_SOURCES = tests/unit/test_fdb.c $(L2_UNIT_SOURCES)
tests_unit_test_fdb_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_fdb_LDADD = $(L2_UNIT_LDADD)
tests_unit_test_gateway_SOURCES = tests/unit/test_gateway.c $(L2_UNIT_SOURCES)
tests_unit_test_gateway_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_gateway_LDADD = $(L2_UNIT_LDADD)
# A --ipv6 network's gateway: neighbour discovery and ICMPv6 echo (issue 14).
check_PROGRAMS += tests/unit/test_gateway6
TESTS += tests/unit/test_gateway6
tests_unit_test_gateway6_SOURCES = tests/unit/test_gateway6.c $(L2_UNIT_SOURCES)
tests_unit_test_gateway6_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_gateway6_LDADD = $(L2_UNIT_LDADD)

# MLD snooping (issue 19): the table, and the chatter through L2.
check_PROGRAMS += tests/unit/test_mld_snoop
TESTS += tests/unit/test_mld_snoop
tests_unit_test_mld_snoop_SOURCES = tests/unit/test_mld_snoop.c $(L2_UNIT_SOURCES)
tests_unit_test_mld_snoop_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_mld_snoop_LDADD = $(L2_UNIT_LDADD)

# The uplink's address as a router port, through the real datapath in the
# fuzz harnesses' world (fuzz_world.c stands in for the kernel).
check_PROGRAMS += tests/unit/test_router_port
TESTS += tests/unit/test_router_port
tests_unit_test_router_port_SOURCES = tests/unit/test_router_port.c \
	tests/fuzz/fuzz_world.c tests/fuzz/fuzz_world.h $(DNS_SOURCES)
tests_unit_test_router_port_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/tests/fuzz -DDNS_FUZZ
tests_unit_test_router_port_LDADD = $(UNIT_LDADD)

# Two datapaths in one process (issue 13): each its own fdbs and ports,
# through the real rx path, ingress, L2 and egress.
check_PROGRAMS += tests/unit/test_dp
TESTS += tests/unit/test_dp
tests_unit_test_dp_SOURCES = tests/unit/test_dp.c
tests_unit_test_dp_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_dp_LDADD = $(UNIT_LDADD)
# ... and the files of the fdb, the ports, the datapath and L2 keep no
# mutable static of their own (tools/analysis/statics.sh lists them all).
TESTS += tests/unit/check-dp-statics.sh
EXTRA_DIST += tests/unit/check-dp-statics.sh
