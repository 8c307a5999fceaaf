# ferry-som, the State Orchestration Master: a thin daemon over the
# library's wire session, authorized keys and message codecs.

SOM_SRCS := $(wildcard som/*.c)
SOM_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(SOM_SRCS))

all: $(BUILD)/bin/ferry-som

$(BUILD)/som/%.o: som/%.c | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) -Isom $(CFLAGS) -c $< -o $@

$(BUILD)/bin/ferry-som: $(SOM_OBJS) $(LIBFERRY)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
