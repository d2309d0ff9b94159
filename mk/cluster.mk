# mk/cluster.mk - networks across hosts, the control half (issue 18): the
# etcd v3 gateway client (libcurl multi on the libev loop) and the cluster
# membership, mirror and global networks built on it.  doc/multihost.md.
src_libvswitch_a_SOURCES += src/etcd_json.c src/etcd.c src/cluster.c src/cluster_net.c
noinst_HEADERS += include/etcd.h include/cluster.h
AM_CFLAGS += $(CURL_CFLAGS)
VS_LIBS += $(CURL_LIBS)

# The gateway's JSON (base64, int64 strings, left-out defaults, watch
# framing) on crafted replies; no I/O, so only etcd_json.c and json-c.
check_PROGRAMS += tests/unit/test_etcd
TESTS += tests/unit/test_etcd
tests_unit_test_etcd_SOURCES = tests/unit/test_etcd.c src/etcd_json.c
tests_unit_test_etcd_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_etcd_LDADD = $(JSONC_LIBS) $(CMOCKA_LIBS)
