# mk/system.mk - the pytest system tests (tests/system, see Makefile.am).
# `make check` runs them through one script, which skips (77) when not
# root.  tests/system itself is already in EXTRA_DIST; the binaries are
# built first because check depends on all.
TESTS += tests/system/run-pytest.sh
# the same system tests' write() fallback, on two files (run-no-io-uring.sh)
TESTS += tests/system/run-no-io-uring.sh
AM_TESTS_ENVIRONMENT = abs_top_builddir='$(abs_top_builddir)'; \
	VSWITCHD='$(abs_top_builddir)/src/vswitchd$(EXEEXT)'; \
	VSCTL='$(abs_top_builddir)/src/vsctl$(EXEEXT)'; \
	export abs_top_builddir VSWITCHD VSCTL;

# Only the system tests, with pytest's options: make check-system PYTEST_ARGS="-k dns -x"
check-system: src/vswitchd$(EXEEXT) src/vsctl$(EXEEXT)
	$(AM_TESTS_ENVIRONMENT) srcdir='$(srcdir)'; export srcdir; \
	$(SHELL) $(srcdir)/tests/system/run-pytest.sh $(PYTEST_ARGS)
.PHONY: check-system
CLEANFILES += .system-tests.lock
