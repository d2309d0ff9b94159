# mk/cni.mk - `vswitch`, the CNI plugin (see Makefile.am, doc/cni.md).
# Its own program, like vsctl: it links json-c and nothing of the daemon
# (it only talks to vswitchd's socket).  It is installed where runtimes
# look for plugins, $(cnidir) (PREFIX/lib/cni, configure --with-cni-dir),
# with a link from $(cnilinkdir) (/opt/cni/bin, --with-cni-link=DIR or
# --without-cni-link); both honour DESTDIR.
cni_PROGRAMS = src/vswitch
src_vswitch_SOURCES = src/cni_main.c src/cni_conf.c src/cni_ctl.c src/ctl_client.c src/cni_cmd.c \
	src/cni_result.c
src_vswitch_LDADD = $(JSONC_LIBS)
noinst_HEADERS += include/cni.h
man_MANS += doc/vswitch-cni.8

install-exec-hook: install-cni-link
install-cni-link:
	@if test -n "$(cnilinkdir)"; then \
		$(MKDIR_P) "$(DESTDIR)$(cnilinkdir)" && \
		echo "ln -sf $(cnidir)/vswitch $(DESTDIR)$(cnilinkdir)/vswitch" && \
		ln -sf "$(cnidir)/vswitch" "$(DESTDIR)$(cnilinkdir)/vswitch"; \
	fi
uninstall-hook: uninstall-cni-link
uninstall-cni-link:
	@if test -n "$(cnilinkdir)" && test -L "$(DESTDIR)$(cnilinkdir)/vswitch"; then \
		rm -f "$(DESTDIR)$(cnilinkdir)/vswitch"; \
	fi
.PHONY: install-cni-link uninstall-cni-link
# distcheck installs as the user into a private prefix: no /opt link there
AM_DISTCHECK_CONFIGURE_FLAGS = --without-cni-link

# The configuration, runtime arguments and result shapes, without a daemon.
check_PROGRAMS += tests/unit/test_cni
TESTS += tests/unit/test_cni
tests_unit_test_cni_SOURCES = tests/unit/test_cni.c src/cni_conf.c src/cni_result.c
tests_unit_test_cni_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_cni_LDADD = $(JSONC_LIBS) $(CMOCKA_LIBS)
