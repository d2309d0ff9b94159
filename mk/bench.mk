# mk/bench.mk - `make bench`: the side-by-side benchmark.
# Not a test (it measures, asserts nothing, needs root and minutes); it
# builds its own copy in build-bench/ and runs the shared peers.sh through
# tools/bench/run.sh. Pass options with BENCH_ARGS, e.g. BENCH_ARGS=--quick.
bench:
	$(top_srcdir)/tools/bench/run.sh $(BENCH_ARGS)
.PHONY: bench
