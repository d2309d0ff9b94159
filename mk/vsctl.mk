# mk/vsctl.mk - vsctl, the command line (see Makefile.am).
# vsctl is its own program: its files, the capture client included, stay
# out of libvswitch.a, which is the daemon's.  What a command is comes from
# the control schema (src/ctl_schema.c), which is in libvswitch.a because
# vswitchd checks requests against the same rows.  The parser's unit test
# links VSCTL_SOURCES with a fake vsctl_capture_run() instead of the client.
VSCTL_SOURCES = src/vsctl_parse.c src/vsctl_help.c src/vsctl_handlers.c \
	src/vsctl_format.c src/vsctl_cni.c src/vsctl_trace.c src/vsctl_template.c \
	src/vsctl_docker.c src/vsctl_events.c src/vsctl_dot.c \
	src/vsctl_completion.c
src_vsctl_SOURCES = src/vsctl.c $(VSCTL_SOURCES) src/vsctl_capture.c
src_vsctl_LDADD = $(VS_LIBS)
noinst_HEADERS += include/vsctl.h include/capture_client.h

# doc/vsctl.8's SYNOPSIS must be what `vsctl --man-synopsis` prints.
TESTS += tests/unit/check-man-synopsis.sh
EXTRA_DIST += tests/unit/check-man-synopsis.sh

# Regenerate the SYNOPSIS in the source tree after changing the schema.
vsctl-man-synopsis: src/vsctl$(EXEEXT)
	$(AM_V_GEN)$(SHELL) $(srcdir)/tests/unit/check-man-synopsis.sh --update
.PHONY: vsctl-man-synopsis

# Parser, checks and output against a fake transport (no daemon).
check_PROGRAMS += tests/unit/test_vsctl
TESTS += tests/unit/test_vsctl
tests_unit_test_vsctl_SOURCES = tests/unit/test_vsctl.c $(VSCTL_SOURCES)
tests_unit_test_vsctl_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_vsctl_LDADD = $(UNIT_LDADD)

# The demo's topology as vswitch itself draws it (`vsctl show --format
# dot`, rendered by Graphviz): doc/topology.svg, shown in the README and
# doc/packet-walk.md.  Needs root (it builds the demo's namespaces) and
# graphviz; re-run after changing what `show` or the drawing prints, and
# commit the picture.
topology: src/vswitchd$(EXEEXT) src/vsctl$(EXEEXT)
	$(AM_V_GEN)$(SHELL) $(srcdir)/tools/topology.sh src/vswitchd$(EXEEXT) \
		src/vsctl$(EXEEXT) $(srcdir)/doc/topology.svg
.PHONY: topology
