# The userspace library shared by every daemon and tool, and the tools.

LIB_SRCS := $(wildcard user/lib/*.c)
LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS))
LIBFERRY := $(BUILD)/lib/libferry.a

all: $(LIBFERRY)

$(BUILD)/user/%.o: user/%.c $(BPF_SKELS) | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIBFERRY): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)mkdir -p $(@D)
	$(Q)rm -f $@	# members of deleted sources must not linger
	$(Q)$(AR) rcs $@ $^

include $(wildcard user/*/Build.mk)
