# ferry-soa links ferryctl's commands (not its main), which it runs for
# clients of its control socket.
SOA_SRCS := $(wildcard user/soa/*.c)
SOA_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(SOA_SRCS))
FERRYCTL_CMD_OBJS := $(filter-out %/main.o,$(patsubst %.c,$(BUILD)/%.o,$(wildcard user/ferryctl/*.c)))

all: $(BUILD)/bin/ferry-soa

$(BUILD)/user/soa/%.o: CPPFLAGS += -Iuser/ferryctl

$(BUILD)/bin/ferry-soa: $(SOA_OBJS) $(FERRYCTL_CMD_OBJS) $(LIBFERRY)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
