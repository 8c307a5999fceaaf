/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the INI configuration parsers (agent, TDE, SOM) share, over libinih:
 * the text fed to inih line by line with the line counted, strict options,
 * and messages that name the file and line, and for a value its section
 * and key: "soa.conf:12: [interface eth0] zone: 4294967295 is out of range".
 * The first error wins; every later call returns it. inivalue.c has the
 * messages and the checks of values the parsers share.
 */
#ifndef FERRY_INIFILE_H
#define FERRY_INIFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <ini.h>
#include <linux/types.h>

#define FERRY_INI_MSG_MAX	512

struct ferry_ini {
	const char *name;	/* the file, in messages */
	const char *text;	/* what inih reads */
	size_t pos;
	__u32 line;		/* of the line last read */
	char *err;
	size_t errlen;
	int ret;		/* the first error */
	/* The parser's view of a line inih is given, before inih parses it
	 * (section headers: inih does not report an empty section). Non-zero
	 * stops the parse. May be NULL. */
	int (*peek)(void *parser, const char *line);
	void *parser;
	/* For ferry_ini_key_err: the section ("interface eth0") and key. */
	const char *section;
	const char *key;
};

/*
 * Run inih over ini->text with the strict options (no multi-line values,
 * no inline comments, no BOM, no key without value, lines up to line_max
 * characters) and handler(user, ...). A line inih cannot parse is an error
 * naming it. Returns 0 or the first error (-EINVAL, -ENOMEM).
 */
int ferry_ini_parse(struct ferry_ini *ini, ini_handler handler, void *user,
		    int line_max);

int ferry_ini_line_err(struct ferry_ini *ini, __u32 line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An error on the line last read. */
int ferry_ini_err(struct ferry_ini *ini, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* An error about the current key's value, on the current line. */
int ferry_ini_key_err(struct ferry_ini *ini, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int ferry_ini_oom(struct ferry_ini *ini);

/* 1..max of [A-Za-z0-9_-]: names of instances, pools, hosts, VMs. */
bool ferry_ini_name_ok(const char *s, size_t max);
/* A network interface's name, as the kernel's dev_valid_name(). */
bool ferry_ini_ifname_ok(const char *s);

/*
 * Values of the current key, each error a ferry_ini_key_err(): a number
 * min..max ("'x' is not a number", "7 is out of range (1..5)") and an
 * absolute path shorter than size.
 */
int ferry_ini_u32(struct ferry_ini *ini, const char *v, __u32 min, __u32 max,
		  __u32 *out);
int ferry_ini_path(struct ferry_ini *ini, const char *v, char *out,
		   size_t size);

#endif
