# mk/capture.mk - capture points, flight recorder and the capture command
# in the daemon.  The client side (src/vsctl_capture.c) is vsctl's and is
# built by mk/vsctl.mk.
src_libvswitch_a_SOURCES += src/capture.c src/recorder.c src/capture_ctl.c
noinst_HEADERS += include/capture.h include/capture_internal.h

check_PROGRAMS += tests/unit/test_capture
TESTS += tests/unit/test_capture
tests_unit_test_capture_SOURCES = tests/unit/test_capture.c
tests_unit_test_capture_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_capture_LDADD = $(UNIT_LDADD)
