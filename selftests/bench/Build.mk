# Datapath micro-benchmark: build/selftests/bin/bench_dp (not a test: it
# measures, it does not judge). `make bench` builds and runs it.

BENCH_DP := $(BUILD)/selftests/bin/bench_dp

all: $(BENCH_DP)

$(BENCH_DP): $(BUILD)/selftests/bench/bench_dp.o $(BUILD)/selftests/lib/pktbuild.o $(LIBFERRY)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

bench: all $(BENCH_DP)
	$(Q)$(BENCH_DP)
