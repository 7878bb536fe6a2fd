# Benchmarks (Documentation/performance.rst); included from the top Makefile.
#   make bench                              all parts (about 30 minutes)
#   make bench BENCH_PARTS_RUN=tracing      one part: overhead, tracing, analyzer
.PHONY: bench
bench: deps modules tools
	BENCH_PARTS_RUN="$(BENCH_PARTS_RUN)" scripts/bench.sh
