/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the INI configuration parsers (agent, TDE, SOM) share, over libinih.
 * Each parser declares its sections and their keys as data; inifile.c
 * feeds the text to inih line by line with the line counted and strict
 * options, and checks what every file has in common: "[TYPE]" and
 * "[TYPE NAME]" headers, unknown, repeated and missing sections and keys,
 * empty values. The parser keeps its own handling of each key's value and
 * of a section's end. Messages name the file and line, and for a value its
 * section and key: "soa.conf:12: [interface eth0] zone: 4294967295 is out
 * of range (0..4294967294)". The first error wins; every later call
 * returns it. inivalue.c has the messages and checks of common values.
 */
#ifndef FERRY_INIFILE_H
#define FERRY_INIFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define FERRY_INI_MSG_MAX	512
#define FERRY_INI_LINE_MAX	4096	/* the longest line a parser may allow */
#define FERRY_INI_NAME_MAX	32	/* of a named section: [vm NAME] */
#define FERRY_INI_SECTION_MAX	64	/* "snat-pool NAME" */
#define FERRY_INI_KEYS_MAX	32	/* of a section */
#define FERRY_INI_SECTIONS_MAX	16	/* of a file */

struct ferry_ini;

/* A key of a section. */
struct ferry_ini_key {
	const char *name;
	/*
	 * Check the value (not empty; a copy set() may change) and store it,
	 * or fail with ferry_ini_key_err(). The hooks find the parser's own
	 * state in ini->parser.
	 */
	int (*set)(struct ferry_ini *ini, char *value);
	const char *prefix;	/* if set, every key that begins so ("vlan.") */
	const void *data;	/* for set(), as ini->def->data */
	bool required;
	bool repeat;		/* may stand more than once in a section */
	/* A comma-separated list: set() gets each element, without the blanks
	 * around it; an empty one is an error. */
	bool list;
};

/*
 * A type of section: unnamed ones may stand once, named ones up to max;
 * each with up to FERRY_INI_KEYS_MAX keys.
 */
struct ferry_ini_section {
	const char *name;	/* "interface" */
	const struct ferry_ini_key *keys;	/* up to { .name = NULL } */
	bool named;		/* [interface NAME] */
	bool ifname;		/* a named one's name is a network interface's */
	bool nocase;		/* its keys in any case */
	__u32 max;		/* named: how many at most */
	const char *many;	/* named: "[vm x] too many VMs (at most 256)" */
	/* After its last key and the check of required keys; may be NULL. */
	int (*end)(struct ferry_ini *ini);
};

/* A type of file: its sections, up to FERRY_INI_SECTIONS_MAX. */
struct ferry_ini_format {
	const struct ferry_ini_section *secs;
	unsigned int nsecs;
	int line_max;		/* characters, at most FERRY_INI_LINE_MAX */
	/*
	 * A named section secs[sec] begins, its header checked: the object its
	 * keys fill goes in ini->obj (else they fill ini->cfg).
	 */
	int (*begin)(struct ferry_ini *ini, unsigned int sec, const char *name);
};

/*
 * For ferry_ini_set_u32() and ferry_ini_set_path() as a key's set(): where
 * in ini->obj, the object of the current section, the value goes, and its
 * range (a number) or size (a path).
 */
struct ferry_ini_field {
	size_t off;
	__u32 min, max;
};

/* The data of such a key: field f of T, the type of the section's object. */
#define FERRY_INI_U32(T, f, lo, hi) \
	(&(const struct ferry_ini_field){ offsetof(T, f), (lo), (hi) })
#define FERRY_INI_PATH(T, f) \
	(&(const struct ferry_ini_field){ offsetof(T, f), 0, sizeof(((T *)0)->f) })

struct ferry_ini_name;

struct ferry_ini {
	/* the caller's */
	const char *name;	/* the file, in messages */
	const char *text;	/* what inih reads */
	char *err;
	size_t errlen;
	void *cfg;		/* what the keys of unnamed sections fill */
	/* the reader's */
	size_t pos;
	__u32 line;		/* of the line last read */
	int ret;		/* the first error */
	/* ferry_ini_parse()'s, and what the parser may read of them */
	const struct ferry_ini_format *fmt;
	void *parser;
	const struct ferry_ini_section *sec;	/* the current section, or NULL */
	void *obj;				/* what its keys fill */
	char section[FERRY_INI_SECTION_MAX];	/* its text: "interface eth0" */
	__u32 sec_line;				/* of its header */
	__u32 key_line[FERRY_INI_KEYS_MAX];	/* of each key; 0: not seen */
	const struct ferry_ini_key *def;	/* the key being set */
	const char *key;			/* its name as written */
	__u32 count[FERRY_INI_SECTIONS_MAX];	/* of each section so far */
	__u32 first[FERRY_INI_SECTIONS_MAX];	/* line of the first; 0: none */
	/* inifile.c's own */
	char raw[FERRY_INI_LINE_MAX];	/* between the brackets, as inih sees it */
	char value[FERRY_INI_LINE_MAX];
	struct ferry_ini_name *names;	/* of the named sections so far */
	__u32 nnames, names_cap;
};

/*
 * Run inih over ini->text with the strict options (no multi-line values,
 * no inline comments, no BOM, no key without value, lines up to
 * fmt->line_max characters) against the sections of fmt; parser is for
 * the hooks. A line inih cannot parse is an error naming it. Ends the last
 * section. Returns 0 or the first error (-EINVAL, -ENOMEM, or what a hook
 * stored in ini->ret).
 */
int ferry_ini_parse(struct ferry_ini *ini, const struct ferry_ini_format *fmt,
		    void *parser);

/*
 * After ferry_ini_parse(): "end of file: missing section [vm NAME]" unless
 * there was at least one section fmt->secs[sec].
 */
int ferry_ini_need(struct ferry_ini *ini, unsigned int sec);

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
/* set() of a key whose data is a struct ferry_ini_field. */
int ferry_ini_set_u32(struct ferry_ini *ini, char *v);
int ferry_ini_set_path(struct ferry_ini *ini, char *v);

#endif
