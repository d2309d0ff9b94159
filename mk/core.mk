# mk/core.mk - daemon core: log, model, IPAM, state, control, pipeline stages.
src_libvswitch_a_SOURCES += \
	src/log.c src/drop.c src/addr.c src/hash.c src/model.c src/ipam.c src/state.c src/control.c \
	src/control_check.c src/control_auth.c \
	src/parse.c src/pkt_build.c src/port.c src/port_class.c src/cmd_network.c src/cmd_container.c \
	src/cmd_show.c src/trace.c src/cmd_handoff.c src/net_labels.c
# Least privilege after start (issue 20): only the daemon links libseccomp.
src_vswitchd_SOURCES += src/sandbox.c
src_vswitchd_LDADD += $(SECCOMP_LIBS)
noinst_HEADERS += include/sandbox.h
# Shares of the open-file limit (audit finding 2).
src_libvswitch_a_SOURCES += src/fd_budget.c
noinst_HEADERS += include/fd_budget.h
# The control schema: vsctl links it from here too (mk/vsctl.mk).
src_libvswitch_a_SOURCES += src/ctl_schema.c
noinst_HEADERS += include/ctl_schema.h
noinst_HEADERS += include/arp.h include/pkt.h include/pkt_build.h include/drop.h \
	include/hash.h include/log.h include/port.h \
	include/addr.h include/model.h include/control.h include/csum.h include/netns.h \
	include/ipam.h include/state.h include/cmd.h include/pipeline.h include/trace.h

check_PROGRAMS += tests/unit/test_addr tests/unit/test_ipam tests/unit/test_state \
	tests/unit/test_control tests/unit/test_parse tests/unit/test_pkt_build
TESTS += tests/unit/test_addr tests/unit/test_ipam tests/unit/test_state \
	tests/unit/test_control tests/unit/test_parse tests/unit/test_pkt_build
tests_unit_test_addr_SOURCES = tests/unit/test_addr.c
tests_unit_test_addr_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_addr_LDADD = $(UNIT_LDADD)

# The keyed hash against SipHash's reference, and what the tables need.
check_PROGRAMS += tests/unit/test_hash
TESTS += tests/unit/test_hash
tests_unit_test_hash_SOURCES = tests/unit/test_hash.c
tests_unit_test_hash_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hash_LDADD = $(UNIT_LDADD)

tests_unit_test_ipam_SOURCES = tests/unit/test_ipam.c
tests_unit_test_ipam_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ipam_LDADD = $(UNIT_LDADD)
tests_unit_test_state_SOURCES = tests/unit/test_state.c
tests_unit_test_state_CFLAGS = $(UNIT_CFLAGS) '-DFIXTURE_DIR="$(abs_top_srcdir)/tests/fixtures"'
tests_unit_test_state_LDADD = $(UNIT_LDADD)
tests_unit_test_control_SOURCES = tests/unit/test_control.c
tests_unit_test_control_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_control_LDADD = $(UNIT_LDADD)
tests_unit_test_parse_SOURCES = tests/unit/test_parse.c
tests_unit_test_parse_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_parse_LDADD = $(UNIT_LDADD)
tests_unit_test_pkt_build_SOURCES = tests/unit/test_pkt_build.c
tests_unit_test_pkt_build_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_pkt_build_LDADD = $(UNIT_LDADD)

# Files written by earlier releases, loaded by test_state and test_ct_snapshot.
EXTRA_DIST += tests/fixtures

# doc/control-protocol.md describes exactly the requests of the schema.
TESTS += tests/unit/check-doc-commands.sh
EXTRA_DIST += tests/unit/check-doc-commands.sh

# doc/vsctl.8 describes exactly the drop reasons of include/drop.h.
TESTS += tests/unit/check-man-drops.sh
EXTRA_DIST += tests/unit/check-man-drops.sh
