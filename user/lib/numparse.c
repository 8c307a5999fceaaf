// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include "numparse.h"

int ferry_parse_u64(const char *s, __u64 max, __u64 *out)
{
	__u64 v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (d > 9)
			return -EINVAL;
		if (d > max || v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int ferry_parse_u32(const char *s, __u32 max, __u32 *out)
{
	__u64 v;
	int err = ferry_parse_u64(s, max, &v);

	if (!err)
		*out = (__u32)v;
	return err;
}
