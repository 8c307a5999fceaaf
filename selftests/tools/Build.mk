# Helper programs of the tests (not tests themselves).

all: $(BUILD)/selftests/bin/flowcheck

$(BUILD)/selftests/bin/flowcheck: $(BUILD)/selftests/tools/flowcheck.o $(LIBFERRY)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

all: $(BUILD)/selftests/bin/wirepoke

$(BUILD)/selftests/bin/wirepoke: $(BUILD)/selftests/tools/wirepoke.o $(LIBFERRY)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

all: $(BUILD)/selftests/bin/flowmany

$(BUILD)/selftests/bin/flowmany: $(BUILD)/selftests/tools/flowmany.o $(LIBFERRY)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

all: $(BUILD)/selftests/bin/mkbundle

$(BUILD)/selftests/bin/mkbundle: $(BUILD)/selftests/tools/mkbundle.o $(LIBFERRY)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
