# Benchmarks (Documentation/performance.rst); included from the top Makefile.
#   make bench                              all parts (about 60 minutes)
#   make bench BENCH_PARTS_RUN=tracing      one part: overhead, tracing, analyzer,
#                                           cache (against dm-cache, bcache and
#                                           dm-writecache; about 25 minutes),
#                                           cache-hits (read hits on a virtio
#                                           fast disk; about 5 minutes)
.PHONY: bench
bench: deps modules tools
	BENCH_PARTS_RUN="$(BENCH_PARTS_RUN)" scripts/bench.sh
