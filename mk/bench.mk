# Benchmarks (Documentation/performance.rst); included from the top Makefile.
#   make bench                              all parts (about 60 minutes)
#   make bench BENCH_PARTS_RUN=tracing      one part: overhead, tracing, analyzer,
#                                           cache (against dm-cache, bcache and
#                                           dm-writecache; about 25 minutes),
#                                           cache-hits (read hits on a virtio
#                                           fast disk; about 5 minutes)
# The analyzer's predictions against measurements in a guest
# (Documentation/analyzer.rst, "Predicted against measured"); each boots
# one guest that runs the bench/validate-*-guest.sh of the same name:
#   make validate-cache          hit ratios: the cache's against `restack mrc`
#                                (scripts/validate-cache.sh)
#   make validate-model          latency and IOPS: measured against `restack
#                                recommend` (scripts/validate-model.sh); its
#                                arguments in VALIDATE_MODEL_ARGS, e.g.
#                                "NIOS=24000 ROUNDS=3" (the recorded run,
#                                about 30 minutes) or "--no-run" (compare the
#                                last run's results again)
.PHONY: bench validate-cache validate-model
bench: deps modules tools
	BENCH_PARTS_RUN="$(BENCH_PARTS_RUN)" scripts/bench.sh

validate-cache: deps modules tools
	scripts/validate-cache.sh

validate-model: deps modules tools
	scripts/validate-model.sh $(VALIDATE_MODEL_ARGS)
