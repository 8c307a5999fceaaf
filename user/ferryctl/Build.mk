FERRYCTL_SRCS := $(wildcard user/ferryctl/*.c)
FERRYCTL_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(FERRYCTL_SRCS))

all: $(BUILD)/bin/ferryctl

$(BUILD)/bin/ferryctl: $(FERRYCTL_OBJS) $(LIBFERRY)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
