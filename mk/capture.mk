# mk/capture.mk - capture points, flight recorder, the capture command and client.
src_libvswitch_a_SOURCES += src/capture.c src/recorder.c src/capture_ctl.c \
	src/vsctl_capture.c
noinst_HEADERS += include/capture.h include/capture_internal.h

check_PROGRAMS += tests/unit/test_capture
TESTS += tests/unit/test_capture
tests_unit_test_capture_SOURCES = tests/unit/test_capture.c
tests_unit_test_capture_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_capture_LDADD = $(UNIT_LDADD)

# vsctl refers to vsctl_capture_run weakly (vsctl_cmds.c), and a weak
# reference never pulls a member out of libvswitch.a: ask the linker for it.
src_vsctl_LDFLAGS = $(AM_LDFLAGS) -Wl,--undefined=vsctl_capture_run
