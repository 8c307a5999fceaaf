// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include "log.h"

static enum ferry_log_level log_level = FERRY_LOG_INFO;

void ferry_log_set_level(enum ferry_log_level level)
{
	log_level = level;
}

enum ferry_log_level ferry_log_get_level(void)
{
	return log_level;
}

void ferry_log(enum ferry_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static __attribute__((format(printf, 2, 0)))
int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_WARN || log_level >= FERRY_LOG_DEBUG)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

void ferry_log_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
