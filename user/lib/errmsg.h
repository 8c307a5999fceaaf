/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Errors as a negative errno and a message in a caller's buffer. */
#ifndef FERRY_ERRMSG_H
#define FERRY_ERRMSG_H

#include <stddef.h>

/* The message into err[0..errlen) (err NULL or errlen 0: none); ret. */
int ferry_errf(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
