# mk/install.mk - what `make install` lays out besides the programs and
# man pages, as Debian places a network daemon's files (see Makefile.am):
#
#   $(sbindir)       vswitchd, vswitch-docker-plugin (daemons)
#   $(bindir)        vsctl
#   $(cnidir)        the CNI plugin (mk/cni.mk)
#   $(systemdunitdir)  vswitchd.service, vswitch-docker-plugin.service
#   $(systemduserunitdir)  vswitchd.service for one user (rootless)
#   $(sysconfdir)/default/vswitchd   the daemon's options (a conffile)
#   $(bashcompletiondir)/vsctl       generated from the command table
#
# Units are made from tools/systemd/*.in with the configured paths, so a
# unit always starts the binary this tree installs.  The completion is
# what the built vsctl prints (`vsctl --bash-completion`): it cannot offer
# a command or option vsctl does not have.

systemdunitdir = $(prefix)/lib/systemd/system
systemduserunitdir = $(prefix)/lib/systemd/user
systemdunit_DATA = tools/systemd/vswitchd.service tools/systemd/vswitch-docker-plugin.service
systemduserunit_DATA = tools/systemd/user/vswitchd.service
defaultdir = $(sysconfdir)/default
bashcompletiondir = $(datadir)/bash-completion/completions
bashcompletion_DATA = tools/completion/vsctl

VS_UNIT_SUBST = sed -e 's|@''sbindir''@|$(sbindir)|g' -e 's|@''bindir''@|$(bindir)|g' \
	-e 's|@''vswitchddir''@|$(sbindir)|g' \
	-e 's|@''sysconfdir''@|$(sysconfdir)|g'

tools/systemd/vswitchd.service: $(srcdir)/tools/systemd/vswitchd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) tools/systemd && $(VS_UNIT_SUBST) $< > $@
tools/systemd/vswitch-docker-plugin.service: \
		$(srcdir)/tools/systemd/vswitch-docker-plugin.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) tools/systemd && $(VS_UNIT_SUBST) $< > $@
tools/systemd/user/vswitchd.service: $(srcdir)/tools/systemd/vswitchd-user.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) tools/systemd/user && $(VS_UNIT_SUBST) $< > $@
tools/completion/vsctl: src/vsctl$(EXEEXT)
	$(AM_V_GEN)$(MKDIR_P) tools/completion && ./src/vsctl$(EXEEXT) --bash-completion > $@

# The default file is a conffile: install it, never overwrite an edited one
# here (dpkg asks the user; a plain `make install` keeps what is there).
install-data-local: install-default-file
install-default-file:
	$(MKDIR_P) "$(DESTDIR)$(defaultdir)"
	@if test -f "$(DESTDIR)$(defaultdir)/vswitchd"; then \
		echo "keeping $(DESTDIR)$(defaultdir)/vswitchd"; \
	else \
		echo "$(INSTALL_DATA) tools/systemd/vswitchd.default $(DESTDIR)$(defaultdir)/vswitchd"; \
		$(INSTALL_DATA) $(srcdir)/tools/systemd/vswitchd.default \
			"$(DESTDIR)$(defaultdir)/vswitchd"; \
	fi
uninstall-local:
	rm -f "$(DESTDIR)$(defaultdir)/vswitchd"
.PHONY: install-default-file

CLEANFILES += tools/systemd/vswitchd.service tools/systemd/vswitch-docker-plugin.service \
	tools/systemd/user/vswitchd.service tools/completion/vsctl

# The generated completion behaves (make check, no daemon needed).
TESTS += tests/unit/check-completion.sh
EXTRA_DIST += tests/unit/check-completion.sh debian
