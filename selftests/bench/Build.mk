# `make bench`: the datapath's cost per packet over BPF_PROG_RUN (bench_dp),
# the state codec's cost per flow and its memory (bench_codec),
# the control protocol's handshake, channel throughput and latency
# (bench_channel), moving state between real maps (bench_handover), the
# migration payload (bench_mig), the handshakes per second of a running
# ferry-som over loopback (bench_som.sh), scenario 1 on the Figure 1
# testbed with 100 and 10,000 flows (bench_fig1.sh), a migration end to end through
# ferry-som between two agents (bench_mig_e2e.sh),
# then forwarding benchmarks of Ferry against nftables on a namespace path
# (bench_net.sh, with its packet generator ferry-pktgen). Not part of
# `make test`: they measure, they do not judge. Needs root.

BENCH_DP       := $(BUILD)/selftests/bin/bench_dp
BENCH_BPF_OBJS := $(BUILD)/selftests/bench/xdp_gen.bpf.o \
		  $(BUILD)/selftests/bench/xdp_count.bpf.o
BENCH_SKELS    := $(BUILD)/include/xdp_gen.skel.h $(BUILD)/include/xdp_count.skel.h
BENCH_CODEC    := $(BUILD)/selftests/bin/bench_codec
BENCH_CHANNEL  := $(BUILD)/selftests/bin/bench_channel
BENCH_HANDOVER := $(BUILD)/selftests/bin/bench_handover
BENCH_MIG      := $(BUILD)/selftests/bin/bench_mig
BENCH_BINS     := $(BENCH_DP) $(BUILD)/selftests/bin/ferry-pktgen $(BENCH_CODEC) \
		  $(BENCH_CHANNEL) $(BENCH_HANDOVER) $(BENCH_MIG)

all: $(BENCH_BINS)

$(BUILD)/selftests/bench/%.bpf.o: selftests/bench/%.bpf.c | deps
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BENCH_SKELS): $(BUILD)/include/%.skel.h: $(BUILD)/selftests/bench/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

$(BUILD)/selftests/bench/pktgen.o: $(BENCH_SKELS)

$(BENCH_DP): $(BUILD)/selftests/bench/bench_dp.o $(BUILD)/selftests/lib/pktbuild.o $(LIBFERRY)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BENCH_CODEC): $(BUILD)/selftests/bench/bench_codec.o $(LIBFERRY)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BENCH_CHANNEL): $(BUILD)/selftests/bench/bench_channel.o $(LIBFERRY)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -lpthread

$(BENCH_HANDOVER): $(BUILD)/selftests/bench/bench_handover.o $(LIBFERRY)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The migration payload between two datapaths (the test skeleton, via dptest).
$(BENCH_MIG): $(BUILD)/selftests/bench/bench_mig.o $(TESTLIB_OBJS) $(LIBFERRY)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/selftests/bin/ferry-pktgen: $(BUILD)/selftests/bench/pktgen.o $(LIBFERRY)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

bench: all
	$(Q)$(BENCH_DP)
	$(Q)$(BENCH_CODEC)
	$(Q)$(BENCH_CHANNEL)
	$(Q)$(BENCH_HANDOVER)
	$(Q)$(BENCH_MIG)
	$(Q)BUILD=$(BUILD) selftests/bench/bench_som.sh
	$(Q)BUILD=$(BUILD) selftests/bench/bench_mig_e2e.sh
	$(Q)BUILD=$(BUILD) selftests/bench/bench_fig1.sh
	$(Q)BUILD=$(BUILD) selftests/bench/bench_net.sh
