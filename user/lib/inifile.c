// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "inifile.h"

/* inih's reader: one line at a time, counted, shown to the parser first. */
static char *reader(char *buf, int size, void *stream)
{
	struct ferry_ini *ini = stream;
	const char *s = ini->text + ini->pos, *nl;
	size_t len;

	if (ini->ret || !*s)
		return NULL;
	nl = strchr(s, '\n');
	len = nl ? (size_t)(nl - s + 1) : strlen(s);
	ini->line++;
	ini->pos += len;
	if (len >= (size_t)size) {
		ferry_ini_line_err(ini, ini->line, "line longer than %d characters",
				   size - 2);
		return NULL;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (ini->peek && ini->peek(ini->parser, buf))
		return NULL;
	return buf;
}

int ferry_ini_parse(struct ferry_ini *ini, ini_handler handler, void *user,
		    int line_max)
{
	int ret;

	/* every line in one call of reader() */
	ini_allow_multiline = false;
	ini_allow_inline_comments = false;
	ini_allow_bom = false;
	ini_allow_no_value = false;
	ini_stop_on_first_error = true;
	ini_use_stack = false;
	ini_allow_realloc = false;
	ini_max_line = line_max;
	ini_initial_alloc = line_max;
	ret = ini_parse_stream(reader, ini, handler, user);
	if (ini->ret)
		return ini->ret;
	if (ret > 0)
		return ferry_ini_line_err(ini, (__u32)ret,
					  "expected '[section]', 'key = value' or a comment");
	if (ret < 0)
		return ferry_ini_oom(ini);
	return 0;
}
