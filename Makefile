# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Ferry: one non-recursive build. Each directory adds its part in a
# Build.mk; everything lands in $(BUILD). `make V=1` shows the commands.

BUILD     ?= build
CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= bpftool
ARCH      := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

WARNINGS  := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow \
	     -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
CFLAGS    ?= -O2 -g
CFLAGS    += -std=gnu11 $(WARNINGS) -D_GNU_SOURCE
CPPFLAGS  += -Iinclude -Iuser/lib -I$(BUILD)/include -MMD -MP
LDLIBS    += -lbpf -lelf -lz -linih -lsodium -lmsgpackc
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -Iinclude -Ibpf -idirafter /usr/include/$(MULTIARCH) -MMD -MP

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.DEFAULT_GOAL := all
.PHONY: all deps test bench demo clean vmtest

all: deps

deps:
	$(Q)./tools/deps.sh

include bpf/Build.mk
include user/Build.mk
include selftests/Build.mk
include vmtest/Build.mk
include $(wildcard tde/Build.mk)
include $(wildcard som/Build.mk)

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

demo: all
	$(Q)BUILD=$(BUILD) tools/demo.sh
