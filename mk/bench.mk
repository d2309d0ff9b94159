# mk/bench.mk - `make bench`: the side-by-side benchmark.
# Not a test (it measures, asserts nothing, needs root and minutes); it
# builds its own copy in build-bench/ and runs the shared peers.sh through
# tools/bench/run.sh. Pass options with BENCH_ARGS, e.g. BENCH_ARGS=--quick.
# BASE=REV also builds vswitchd at git revision REV and runs it beside this
# one as the peer vswitchd-base, with the ratio of every figure
# (`make bench BASE=main`; doc/performance.md).
bench:
	b='$(BASE)'; $(top_srcdir)/tools/bench/run.sh $${b:+--base "$$b"} $(BENCH_ARGS)
.PHONY: bench
