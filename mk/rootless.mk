# mk/rootless.mk - rootless operation (issue 17): the user and switch
# namespaces and their keeper (rootless.c, in libvswitch.a: vsctl's
# `netns` commands use it too), and vsctl's `netns` commands.
src_libvswitch_a_SOURCES += src/rootless.c src/rootless_uplink.c src/port_pasta.c
noinst_HEADERS += include/rootless.h
VSCTL_SOURCES += src/vsctl_netns.c

check_PROGRAMS += tests/unit/test_rootless
TESTS += tests/unit/test_rootless
tests_unit_test_rootless_SOURCES = tests/unit/test_rootless.c
tests_unit_test_rootless_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_rootless_LDADD = $(UNIT_LDADD)

# The user unit (tools/systemd/vswitchd-user.service.in), where Debian keeps
# user units, with the directory vswitchd is installed in (bin_PROGRAMS
# today: if it moves to sbin, VSWITCHD_DIR follows it here).
VSWITCHD_DIR = $(bindir)
systemduserunitdir = $(prefix)/lib/systemd/user
systemduserunit_DATA = tools/systemd/vswitchd.service
CLEANFILES += tools/systemd/vswitchd.service
tools/systemd/vswitchd.service: $(srcdir)/tools/systemd/vswitchd-user.service.in
	$(AM_V_GEN)$(MKDIR_P) tools/systemd && \
	sed 's|@''vswitchddir''@|$(VSWITCHD_DIR)|g' $(srcdir)/tools/systemd/vswitchd-user.service.in > $@
