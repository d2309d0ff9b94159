# mk/analysis.mk - static analysis: `make cppcheck`, as passt has it.
#
# cppcheck (Debian's) reads every C file of the tree, tests and tools too,
# and fails on any finding.  The checks are warning, portability and
# performance; not "style", whose main finding here (variableScope) asks
# for declarations in inner blocks, against the house style of declaring
# at the top of a function.  It is not given the system headers (slow, and
# findings in glibc), only the two whose macros shape our data structures:
# uthash.h and sys/queue.h, found through the compiler.  False positives
# and choices are listed, each with its reason, in
# tools/analysis/cppcheck.supp; one is inline (ct.c's mmap).
CPPCHECK = cppcheck
CPPCHECK_FLAGS = --std=c11 --quiet --error-exitcode=1 --inline-suppr \
	--enable=warning,portability,performance --library=posix \
	--suppressions-list=tools/analysis/cppcheck.supp \
	-Iinclude -Itests/fuzz -Itests/unit -D_GNU_SOURCE -DHASH_NONFATAL_OOM=1 \
	'-DFUZZ_TARGET="replay"' '-DFUZZ_DIR="tests/fuzz"'

# The path of the header <$h> as the compiler finds it.
CPPCHECK_HDR = printf '\#include <%s>\n' "$$h" | $(CC) $(CPPFLAGS) -E -xc - | \
	sed -n "s|^\# [0-9]* \"\(/[^\"]*/$$h\)\".*|\1|p" | head -n 1

cppcheck:
	@command -v $(CPPCHECK) >/dev/null || \
		{ echo "cppcheck not found: apt-get install cppcheck"; exit 1; }
	$(AM_V_GEN)inc=; for h in uthash.h sys/queue.h; do \
		f=`$(CPPCHECK_HDR)`; test -n "$$f" || { echo "cppcheck: no $$h"; exit 1; }; \
		inc="$$inc --include=$$f"; \
	done; cd $(top_srcdir) && $(CPPCHECK) $(CPPCHECK_FLAGS) $$inc -j2 \
		src include tests tools/bench
.PHONY: cppcheck

EXTRA_DIST += tools/analysis
