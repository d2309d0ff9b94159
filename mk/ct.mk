# mk/ct.mk - the datapath context, connection tracking, NAT, the uplink,
# port publishing, proxy.
src_libvswitch_a_SOURCES += \
	src/ct.c src/ct_tcp.c src/ct_udp.c src/ct_icmp.c src/ct_ctl.c \
	src/ct_snapshot.c \
	src/nat.c src/nat_icmp.c src/nat_frag.c \
	src/uplink.c src/uplink6.c src/neigh.c src/publish.c src/proxy.c src/dp.c
noinst_HEADERS += include/ct.h include/ct_snapshot.h include/nat.h include/uplink.h include/uplink_internal.h include/neigh.h \
	include/publish.h include/proxy.h \
	include/dp.h
# conntrack.ls streamed in steps (audit finding 16)
src_libvswitch_a_SOURCES += src/ct_ls.c

check_PROGRAMS += tests/unit/test_ct tests/unit/test_csum tests/unit/test_nat \
	tests/unit/test_ct_snapshot
TESTS += tests/unit/test_ct tests/unit/test_csum tests/unit/test_nat \
	tests/unit/test_ct_snapshot
tests_unit_test_ct_SOURCES = tests/unit/test_ct.c
tests_unit_test_ct_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ct_LDADD = $(UNIT_LDADD)
tests_unit_test_csum_SOURCES = tests/unit/test_csum.c
tests_unit_test_csum_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_csum_LDADD = $(UNIT_LDADD)
tests_unit_test_nat_SOURCES = tests/unit/test_nat.c
tests_unit_test_nat_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_nat_LDADD = $(UNIT_LDADD)
tests_unit_test_ct_snapshot_SOURCES = tests/unit/test_ct_snapshot.c
tests_unit_test_ct_snapshot_CFLAGS = $(UNIT_CFLAGS) '-DFIXTURE_DIR="$(abs_top_srcdir)/tests/fixtures"'
tests_unit_test_ct_snapshot_LDADD = $(UNIT_LDADD)

# Micro-benchmark (not a test): lookup cost at 1K vs 1M entries, memory,
# and the conntrack snapshot's cost at 100K entries.
noinst_PROGRAMS += tools/bench/ct_bench
tools_bench_ct_bench_SOURCES = tools/bench/ct_bench.c
tools_bench_ct_bench_LDADD = $(VS_LIBS)
bench-ct: tools/bench/ct_bench
	./tools/bench/ct_bench
.PHONY: bench-ct

# The uplink's neighbour cache on its own: eviction, learning, the queue.
check_PROGRAMS += tests/unit/test_neigh
TESTS += tests/unit/test_neigh
tests_unit_test_neigh_SOURCES = tests/unit/test_neigh.c
tests_unit_test_neigh_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_neigh_LDADD = $(UNIT_LDADD)

# RFC 5961: RST and FIN against the sequence window (ct_tcp.c).
check_PROGRAMS += tests/unit/test_ct_tcp
TESTS += tests/unit/test_ct_tcp
tests_unit_test_ct_tcp_SOURCES = tests/unit/test_ct_tcp.c
tests_unit_test_ct_tcp_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ct_tcp_LDADD = $(UNIT_LDADD)

# The fragment table's fairness (nat_frag.c).
check_PROGRAMS += tests/unit/test_nat_frag
TESTS += tests/unit/test_nat_frag
tests_unit_test_nat_frag_SOURCES = tests/unit/test_nat_frag.c
tests_unit_test_nat_frag_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_nat_frag_LDADD = $(UNIT_LDADD)

# IPv6: parse.c's extension-header walk, conntrack keys and NAT66
# (issue 14), every rewritten checksum recomputed.
check_PROGRAMS += tests/unit/test_nat6
TESTS += tests/unit/test_nat6
tests_unit_test_nat6_SOURCES = tests/unit/test_nat6.c
tests_unit_test_nat6_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_nat6_LDADD = $(UNIT_LDADD)
