# mk/ports.mk - port types (TAP, AF_PACKET), namespaces, endpoint wiring.
src_libvswitch_a_SOURCES += \
	src/port_tap.c src/port_afpacket.c src/netns.c src/netns_watch.c \
	src/endpoint.c src/endpoint_handoff.c src/port_offload.c src/port_uring.c \
	src/poll_window.c src/pkt_ring.c
noinst_HEADERS += include/endpoint.h include/port_offload.h include/port_uring.h include/poll_window.h \
	include/pkt_ring.h
# What a non-root member of the control group may name (audit finding 9).
src_libvswitch_a_SOURCES += src/netns_access.c
# A --ipv6 network's address, route and sysctls in the container (issue 14).
src_libvswitch_a_SOURCES += src/netns_ip6.c

check_PROGRAMS += tests/unit/test_netns
TESTS += tests/unit/test_netns
tests_unit_test_netns_SOURCES = tests/unit/test_netns.c
tests_unit_test_netns_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_netns_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test_netns_watch
TESTS += tests/unit/test_netns_watch
tests_unit_test_netns_watch_SOURCES = tests/unit/test_netns_watch.c
tests_unit_test_netns_watch_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_netns_watch_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test_port_offload
TESTS += tests/unit/test_port_offload
tests_unit_test_port_offload_SOURCES = tests/unit/test_port_offload.c
tests_unit_test_port_offload_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_port_offload_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test_port_class
TESTS += tests/unit/test_port_class
tests_unit_test_port_class_SOURCES = tests/unit/test_port_class.c
tests_unit_test_port_class_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_port_class_LDADD = $(UNIT_LDADD)

# The AF_PACKET port's TPACKET_V2 receive ring: slot checks (issue 19).
check_PROGRAMS += tests/unit/test_pkt_ring
TESTS += tests/unit/test_pkt_ring
tests_unit_test_pkt_ring_SOURCES = tests/unit/test_pkt_ring.c
tests_unit_test_pkt_ring_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_pkt_ring_LDADD = $(UNIT_LDADD)
