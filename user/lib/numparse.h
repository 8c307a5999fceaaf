/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Strict number parsing: the whole string, decimal, within [0, max]. */
#ifndef FERRY_NUMPARSE_H
#define FERRY_NUMPARSE_H

#include <linux/types.h>

/* 0, or -EINVAL (not a number) / -ERANGE (above max). */
int ferry_parse_u64(const char *s, __u64 max, __u64 *out);
int ferry_parse_u32(const char *s, __u32 max, __u32 *out);

#endif
