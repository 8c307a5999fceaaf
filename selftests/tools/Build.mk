# Helper programs of the tests (not tests themselves): selftests/tools/NAME.c
# becomes $(BUILD)/selftests/bin/NAME.

SELFTEST_TOOLS := $(addprefix $(BUILD)/selftests/bin/,flowcheck wirepoke flowmany \
		  mkbundle migrelay)

all: $(SELFTEST_TOOLS)

$(SELFTEST_TOOLS): $(BUILD)/selftests/bin/%: $(BUILD)/selftests/tools/%.o $(LIBFERRY)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
