# `make bench`: forwarding benchmarks of Ferry against nftables on a
# namespace path (bench_net.sh), plus the BPF_PROG_RUN micro-benchmark
# (bench_dp) when it is built. Not part of `make test`. Needs root.

BENCH_BPF_OBJS := $(BUILD)/selftests/bench/xdp_gen.bpf.o \
		  $(BUILD)/selftests/bench/xdp_count.bpf.o
BENCH_SKELS    := $(BUILD)/include/xdp_gen.skel.h $(BUILD)/include/xdp_count.skel.h
BENCH_BINS     := $(BUILD)/selftests/bin/ferry-pktgen \
		  $(BUILD)/selftests/bin/ferry-bench-load

$(BUILD)/selftests/bench/%.bpf.o: selftests/bench/%.bpf.c | deps
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BENCH_SKELS): $(BUILD)/include/%.skel.h: $(BUILD)/selftests/bench/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

$(BUILD)/selftests/bench/pktgen.o: $(BENCH_SKELS)

$(BUILD)/selftests/bin/ferry-pktgen: $(BUILD)/selftests/bench/pktgen.o $(LIBFERRY)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/selftests/bin/ferry-bench-load: $(BUILD)/selftests/bench/ferry_load.o $(LIBFERRY)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

bench: all $(BENCH_BINS)
	$(Q)BUILD=$(BUILD) selftests/bench/bench_net.sh
	$(Q)if [ -x $(BUILD)/selftests/bin/bench_dp ]; then \
		$(BUILD)/selftests/bin/bench_dp; \
	fi
