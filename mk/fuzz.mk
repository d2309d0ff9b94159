# mk/fuzz.mk - libFuzzer targets and the replay of their inputs.
#
# Targets (tests/fuzz/fuzz_TARGET.c, doc/fuzzing.md):
#   dns        the DNS wire parser (dns_wire.c)
#   dns_input  the resolver behind dns_input(), with its own stubs
#   pipeline   any frame in, whatever out: the whole datapath
#   control    the control protocol: server, framing, every handler
#   state      the state loader and what start-up does with its result
#   docker     the Docker plugin's methods, against a stand-in vswitchd
#
# `make fuzz` builds them with clang and runs each for FUZZ_SECONDS
# (tests/fuzz/run.sh), from its seeds in tests/fuzz/corpus/TARGET and past
# crashes in tests/fuzz/regress/TARGET; it fails if any target crashes,
# leaks, hangs or breaks an invariant.  FUZZ_TARGETS picks some:
#   make fuzz FUZZ_SECONDS=300 FUZZ_TARGETS="pipeline control"
# Without clang it says so and succeeds (clang is in tools/install-deps.sh).
#
# The targets cannot be automake programs: they need another compiler, and
# their library code must be instrumented for coverage too, so the daemon's
# sources are compiled again with clang into tests/fuzz/libvswitch-fuzz.a,
# minus the files that touch the kernel (netns, TAP, AF_PACKET, proxy),
# which tests/fuzz/fuzz_world.c replaces.  --enable-fuzz makes `make`
# build the targets too.
#
# `make check` replays every saved input through each harness compiled with
# the ordinary compiler (tests/unit/test_fuzz_replay.c), so that a fixed
# crash that comes back fails the normal suite.  Must be included last:
# it reads the library's source list.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= dns dns_input pipeline control state docker

# The project's warnings, as errors, under clang too (log.c's va_list
# helper carries a format attribute, so -Wformat-nonliteral holds).  UBSan keeps its recoverable checks (libFuzzer then
# sees finer edges) and run.sh makes the first report fatal at run time.
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	$(WARN_CFLAGS) \
	-I$(top_srcdir)/include -I$(top_srcdir)/tests/fuzz \
	-D_GNU_SOURCE -DHASH_FUNCTION=HASH_KEYED -DHASH_NONFATAL_OOM=1 -DDNS_FUZZ \
	'-DPACKAGE_VERSION="$(PACKAGE_VERSION)"' \
	$(LIBEV_CFLAGS) $(LIBPCAP_CFLAGS) $(LIBNL_CFLAGS) $(JSONC_CFLAGS) $(ZLIB_CFLAGS)
FUZZ_LIBS = $(LIBEV_LIBS) $(LIBPCAP_LIBS) $(LIBNL_LIBS) $(JSONC_LIBS) $(ZLIB_LIBS) \
	$(LIBURING_LIBS) $(CURL_LIBS) $(SECCOMP_LIBS) $(LIBS)
# fuzz_world.c stands in for these.
# (port_offload.c stays in: port.c segments GSO frames with it, and the
# pipeline target's frames may claim to be GSO.)
FUZZ_KERNEL_SRC = src/netns.c src/netns_ip6.c src/port_tap.c src/port_afpacket.c src/proxy.c
FUZZ_WORLD = tests/fuzz/fuzz_world.c tests/fuzz/fuzz_world.h
FUZZ_DNS_SRC = tests/fuzz/fuzz_dns.c src/dns_wire.c
FUZZ_DNS_INPUT_SRC = tests/fuzz/fuzz_dns_input.c $(DNS_SOURCES) src/addr.c src/model.c src/overlay.c \
	src/drop.c src/log.c src/pkt_build.c src/hash.c src/fd_budget.c
# The plugin's methods without its HTTP server, control client or threads.
FUZZ_DOCKER_SRC = tests/fuzz/fuzz_docker.c src/docker_plugin_net.c src/docker_plugin_ipam.c

# (The list is filtered in the shell: $(filter-out) is GNU make only.)
tests/fuzz/libvswitch-fuzz.a: $(src_libvswitch_a_SOURCES) $(noinst_HEADERS)
	@rm -rf tests/fuzz/lib.o && mkdir -p tests/fuzz/lib.o
	$(AM_V_GEN)for s in $(src_libvswitch_a_SOURCES); do \
		case " $(FUZZ_KERNEL_SRC) " in *" $$s "*) continue ;; esac; \
		o=tests/fuzz/lib.o/`basename $$s .c`.o; \
		$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $$o \
			$(srcdir)/$$s || exit 1; \
	done; rm -f $@; $(AR) rcs $@ tests/fuzz/lib.o/*.o

# One link rule per kind: the three built on the library share it.
FUZZ_LINK = $(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@
tests/fuzz/fuzz_pipeline tests/fuzz/fuzz_control tests/fuzz/fuzz_state: \
		$(FUZZ_WORLD) tests/fuzz/libvswitch-fuzz.a
tests/fuzz/fuzz_pipeline: tests/fuzz/fuzz_pipeline.c
	$(AM_V_CCLD)$(FUZZ_LINK) $(srcdir)/tests/fuzz/fuzz_pipeline.c \
		$(srcdir)/tests/fuzz/fuzz_world.c tests/fuzz/libvswitch-fuzz.a $(FUZZ_LIBS)
tests/fuzz/fuzz_control: tests/fuzz/fuzz_control.c
	$(AM_V_CCLD)$(FUZZ_LINK) $(srcdir)/tests/fuzz/fuzz_control.c \
		$(srcdir)/tests/fuzz/fuzz_world.c tests/fuzz/libvswitch-fuzz.a $(FUZZ_LIBS)
tests/fuzz/fuzz_state: tests/fuzz/fuzz_state.c
	$(AM_V_CCLD)$(FUZZ_LINK) $(srcdir)/tests/fuzz/fuzz_state.c \
		$(srcdir)/tests/fuzz/fuzz_world.c tests/fuzz/libvswitch-fuzz.a $(FUZZ_LIBS)
tests/fuzz/fuzz_dns: $(FUZZ_DNS_SRC) include/dns.h
	@mkdir -p tests/fuzz
	$(AM_V_CCLD)$(FUZZ_LINK) `for s in $(FUZZ_DNS_SRC); do echo $(srcdir)/$$s; done`
tests/fuzz/fuzz_dns_input: $(FUZZ_DNS_INPUT_SRC) include/dns.h
	@mkdir -p tests/fuzz
	$(AM_V_CCLD)$(FUZZ_LINK) `for s in $(FUZZ_DNS_INPUT_SRC); do echo $(srcdir)/$$s; done` \
		$(LIBEV_LIBS)

tests/fuzz/fuzz_docker: $(FUZZ_DOCKER_SRC) include/docker_plugin.h
	@mkdir -p tests/fuzz
	$(AM_V_CCLD)$(FUZZ_LINK) `for s in $(FUZZ_DOCKER_SRC); do echo $(srcdir)/$$s; done` \
		$(JSONC_LIBS)

fuzz-build:
	@if ! command -v $(FUZZ_CC) >/dev/null 2>&1; then \
		echo "fuzz: $(FUZZ_CC) not found, not building the fuzz targets"; exit 0; fi; \
	$(MAKE) $(AM_MAKEFLAGS) `for t in $(FUZZ_TARGETS); do echo tests/fuzz/fuzz_$$t; done`

fuzz: fuzz-build
	@if ! command -v $(FUZZ_CC) >/dev/null 2>&1; then \
		echo "fuzz: $(FUZZ_CC) not found, skipped"; exit 0; fi; \
	$(SHELL) $(srcdir)/tests/fuzz/run.sh $(srcdir) . $(FUZZ_SECONDS) $(FUZZ_TARGETS)

if FUZZ
all-local: fuzz-build
endif

clean-local: fuzz-clean
fuzz-clean:
	rm -rf tests/fuzz/lib.o tests/fuzz/work tests/fuzz/artifacts tests/fuzz/*.log
.PHONY: fuzz fuzz-build fuzz-clean

CLEANFILES += tests/fuzz/libvswitch-fuzz.a tests/fuzz/fuzz_dns \
	tests/fuzz/fuzz_dns_input tests/fuzz/fuzz_pipeline tests/fuzz/fuzz_control \
	tests/fuzz/fuzz_state tests/fuzz/fuzz_docker
EXTRA_DIST += tests/fuzz/fuzz_docker.c tests/fuzz/fuzz_dns.c tests/fuzz/fuzz_dns_input.c \
	tests/fuzz/fuzz_pipeline.c tests/fuzz/fuzz_control.c tests/fuzz/fuzz_state.c \
	$(FUZZ_WORLD) tests/fuzz/run.sh tests/fuzz/make-corpus.py \
	tests/fuzz/corpus tests/fuzz/regress

# ---- replay in `make check` ----
FUZZ_REPLAY_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/tests/fuzz -DDNS_FUZZ \
	'-DFUZZ_DIR="$(abs_top_srcdir)/tests/fuzz"'
FUZZ_REPLAY = tests/unit/test_fuzz_dns tests/unit/test_fuzz_dns_input \
	tests/unit/test_fuzz_pipeline tests/unit/test_fuzz_control \
	tests/unit/test_fuzz_state tests/unit/test_fuzz_docker
check_PROGRAMS += $(FUZZ_REPLAY)
TESTS += $(FUZZ_REPLAY)

tests_unit_test_fuzz_dns_SOURCES = tests/unit/test_fuzz_replay.c $(FUZZ_DNS_SRC)
tests_unit_test_fuzz_dns_CFLAGS = $(FUZZ_REPLAY_CFLAGS) '-DFUZZ_TARGET="dns"'
tests_unit_test_fuzz_dns_LDADD = $(CMOCKA_LIBS)

tests_unit_test_fuzz_dns_input_SOURCES = tests/unit/test_fuzz_replay.c $(FUZZ_DNS_INPUT_SRC)
tests_unit_test_fuzz_dns_input_CFLAGS = $(FUZZ_REPLAY_CFLAGS) '-DFUZZ_TARGET="dns_input"'
tests_unit_test_fuzz_dns_input_LDADD = $(LIBEV_LIBS) $(CMOCKA_LIBS)

# The DNS files are compiled in with -DDNS_FUZZ (reproducible TCP ISNs, as
# under the fuzzer); the rest comes from libvswitch.a, except what
# fuzz_world.c replaces (the archive's members for it are never pulled).
tests_unit_test_fuzz_pipeline_SOURCES = tests/unit/test_fuzz_replay.c \
	tests/fuzz/fuzz_pipeline.c $(FUZZ_WORLD) $(DNS_SOURCES)
tests_unit_test_fuzz_pipeline_CFLAGS = $(FUZZ_REPLAY_CFLAGS) '-DFUZZ_TARGET="pipeline"'
tests_unit_test_fuzz_pipeline_LDADD = $(UNIT_LDADD)
tests_unit_test_fuzz_control_SOURCES = tests/unit/test_fuzz_replay.c \
	tests/fuzz/fuzz_control.c $(FUZZ_WORLD) $(DNS_SOURCES)
tests_unit_test_fuzz_control_CFLAGS = $(FUZZ_REPLAY_CFLAGS) '-DFUZZ_TARGET="control"'
tests_unit_test_fuzz_control_LDADD = $(UNIT_LDADD)
tests_unit_test_fuzz_state_SOURCES = tests/unit/test_fuzz_replay.c \
	tests/fuzz/fuzz_state.c $(FUZZ_WORLD) $(DNS_SOURCES)
tests_unit_test_fuzz_state_CFLAGS = $(FUZZ_REPLAY_CFLAGS) '-DFUZZ_TARGET="state"'
tests_unit_test_fuzz_state_LDADD = $(UNIT_LDADD)

tests_unit_test_fuzz_docker_SOURCES = tests/unit/test_fuzz_replay.c $(FUZZ_DOCKER_SRC)
tests_unit_test_fuzz_docker_CFLAGS = $(FUZZ_REPLAY_CFLAGS) '-DFUZZ_TARGET="docker"'
tests_unit_test_fuzz_docker_LDADD = $(JSONC_LIBS) $(CMOCKA_LIBS)
