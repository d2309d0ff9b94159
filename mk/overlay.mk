# mk/overlay.mk - networks that span hosts (issue 18): the overlay tables,
# VXLAN framing and the tunnel port.  See Makefile.am.
src_libvswitch_a_SOURCES += src/overlay.c src/overlay_ctl.c
noinst_HEADERS += include/overlay.h

check_PROGRAMS += tests/unit/test_overlay
TESTS += tests/unit/test_overlay
tests_unit_test_overlay_SOURCES = tests/unit/test_overlay.c
tests_unit_test_overlay_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_overlay_LDADD = $(UNIT_LDADD)
