# ferry-tde, the Topology Discovery Entity: a thin daemon over the
# library's tdeconfig/tdedetect/tdenotify.

TDE_SRCS := $(wildcard tde/*.c)
TDE_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(TDE_SRCS))

all: $(BUILD)/bin/ferry-tde

$(BUILD)/tde/%.o: tde/%.c | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) -Itde $(CFLAGS) -c $< -o $@

$(BUILD)/bin/ferry-tde: $(TDE_OBJS) $(LIBFERRY)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
