# mk/cluster.mk - networks across hosts, the control half (issue 18): the
# etcd v3 gateway client (libcurl multi on the libev loop) and the cluster
# membership, mirror and global networks built on it.  doc/multihost.md.
src_libvswitch_a_SOURCES += src/etcd_json.c src/etcd.c src/cluster.c src/cluster_net.c
noinst_HEADERS += include/etcd.h include/cluster.h
# libcurl's headers only: vswitchd does not link libcurl but dlopen()s it
# with --cluster (src/curl_dl.c, issue 19: it was 1.1 MB of idle RSS).
src_libvswitch_a_SOURCES += src/curl_dl.c
noinst_HEADERS += include/curl_dl.h
AM_CFLAGS += $(CURL_CFLAGS)

# curl.h's option type checks (typecheck-gcc.h) are macros named like the
# functions, which calls through curl_dl.h's table cannot have; and gcc
# (12) keeps quiet about what a system header's macro finds, so they were
# dead even before.  `make check` compiles etcd.c once more, never linked,
# with them, the real prototypes, -O2 (they need it) and -Wsystem-headers
# (-Wno-strict-aliasing: libev's ev_io_init() and ev_timer_set()), so that
# an option given a value of the wrong type fails (-Werror).
check_LIBRARIES = src/libetcd-typecheck.a
src_libetcd_typecheck_a_SOURCES = src/etcd.c
src_libetcd_typecheck_a_CPPFLAGS = $(AM_CPPFLAGS) -DCURL_DL_TYPECHECK
src_libetcd_typecheck_a_CFLAGS = $(AM_CFLAGS) -O2 -Wsystem-headers -Wno-strict-aliasing

# The gateway's JSON (base64, int64 strings, left-out defaults, watch
# framing) on crafted replies; no I/O, so only etcd_json.c and json-c.
check_PROGRAMS += tests/unit/test_etcd
TESTS += tests/unit/test_etcd
tests_unit_test_etcd_SOURCES = tests/unit/test_etcd.c src/etcd_json.c
tests_unit_test_etcd_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_etcd_LDADD = $(JSONC_LIBS) $(CMOCKA_LIBS)
