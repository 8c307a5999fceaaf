# BPF objects and their skeletons. ferry_fw_test is the same datapath with a
# clock the tests drive (FERRY_FAKE_CLOCK); ferry_state holds the state
# operations userspace runs over the datapath's maps.

BPF_OBJS := $(BUILD)/bpf/ferry_fw.bpf.o $(BUILD)/bpf/ferry_fw_test.bpf.o \
	    $(BUILD)/bpf/ferry_state.bpf.o
BPF_SKELS := $(BUILD)/include/ferry_fw.skel.h $(BUILD)/include/ferry_fw_test.skel.h \
	     $(BUILD)/include/ferry_state.skel.h

all: $(BPF_SKELS)

$(BUILD)/bpf/ferry_fw.bpf.o: bpf/ferry_fw.bpf.c | deps
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bpf/ferry_fw_test.bpf.o: bpf/ferry_fw.bpf.c | deps
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DFERRY_FAKE_CLOCK -c $< -o $@

$(BUILD)/bpf/ferry_state.bpf.o: bpf/ferry_state.bpf.c | deps
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/include/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@
