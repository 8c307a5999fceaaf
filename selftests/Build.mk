# Tests. Every selftests/<area>/test_<name>.c becomes build/selftests/bin/
# test_<name>, linked with the shared test helpers (selftests/lib/) and the
# userspace library; every selftests/<area>/test_<name>.sh runs as it is.
# Other .c files in an area's directory are helpers linked into that area's
# tests (before the library, so they may use it).
# selftests/run.sh runs them all (or those named in T=...).

TEST_SRCS    := $(wildcard selftests/*/test_*.c)
TEST_BINS    := $(addprefix $(BUILD)/selftests/bin/,$(basename $(notdir $(TEST_SRCS))))
TESTLIB_SRCS := $(wildcard selftests/lib/*.c)
TESTLIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(TESTLIB_SRCS))
TEST_CPPFLAGS := $(CPPFLAGS) -Iselftests/lib

$(BUILD)/selftests/%.o: selftests/%.c $(BPF_SKELS) | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CPPFLAGS) $(CFLAGS) -c $< -o $@

define ferry_test_rule
$(BUILD)/selftests/bin/$(basename $(notdir $(1))): $(patsubst %.c,$(BUILD)/%.o,$(1) $(filter-out $(dir $(1))test_%.c,$(wildcard $(dir $(1))*.c))) $(TESTLIB_OBJS) $(LIBFERRY)
	$$(call msg,LINK,$$@)
	$(Q)mkdir -p $$(@D)
	$(Q)$(CC) $(CFLAGS) -o $$@ $$^ $(LDLIBS) -lcmocka
endef
$(foreach s,$(TEST_SRCS),$(eval $(call ferry_test_rule,$(s))))

include $(wildcard selftests/*/Build.mk)

test: all $(TEST_BINS)
	$(Q)BUILD=$(BUILD) selftests/run.sh $(T)
