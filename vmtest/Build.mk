# vmtest: run selftests inside QEMU on Debian 12's kernels (6.1 LTS and
# 6.12). `make vmtest` runs both, `make vmtest KERNEL=6.1` one of them,
# `make vmtest T="test_a test_b"` other tests than vmtest/tests.list.
# Kernels are fetched with apt into $(BUILD)/vmtest/. See docs/kernels.md.

VMTEST_KERNELS := 6.1 6.12

vmtest: all $(TEST_BINS)
	$(Q)BUILD=$(BUILD) VMTEST_TESTS="$(T)" vmtest/run.sh $(or $(KERNEL),$(VMTEST_KERNELS))
