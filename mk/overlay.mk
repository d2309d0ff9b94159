# mk/overlay.mk - networks that span hosts (issue 18): the overlay tables,
# VXLAN framing and the tunnel port.  See Makefile.am.
src_libvswitch_a_SOURCES += src/overlay.c src/overlay_ctl.c src/overlay_l2.c src/vxlan.c \
	src/port_vxlan.c
noinst_HEADERS += include/overlay.h include/vxlan.h

check_PROGRAMS += tests/unit/test_overlay
TESTS += tests/unit/test_overlay
tests_unit_test_overlay_SOURCES = tests/unit/test_overlay.c
tests_unit_test_overlay_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_overlay_LDADD = $(UNIT_LDADD)

# The VXLAN header, the outer headers and the flow hash, on crafted bytes.
check_PROGRAMS += tests/unit/test_vxlan
TESTS += tests/unit/test_vxlan
# With the L2 stages and their fakes (mk/l2.mk): an overlay network's
# switching, vxlan_output() recorded by l2_fakes.c.
tests_unit_test_vxlan_SOURCES = tests/unit/test_vxlan.c src/vxlan.c $(L2_UNIT_SOURCES)
tests_unit_test_vxlan_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_vxlan_LDADD = $(L2_UNIT_LDADD)
