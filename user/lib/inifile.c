// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * An INI file read against a parser's table of sections and keys. libinih
 * splits the lines into sections and "key = value"; everything else is
 * checked here or by the parser. inih's handler gets no line number
 * (Debian builds it without INI_HANDLER_LINENO) and is not called for a
 * section without keys, so the reader we give it counts the lines and
 * checks every section header as it passes: that is how errors name their
 * line and how empty or repeated sections are seen.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ini.h>
#include "inifile.h"

/* A named section seen: for "duplicate section [vm a] (first at line 8)". */
struct ferry_ini_name {
	const struct ferry_ini_section *sec;
	__u32 line;
	char name[FERRY_INI_NAME_MAX + 1];
};

/* ---- keys ---------------------------------------------------------------- */

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Levenshtein distance of short words, case ignored; big when too long. */
static unsigned int distance(const char *a, const char *b)
{
	unsigned int row[FERRY_INI_NAME_MAX + 1], i, j, diag, up;
	size_t la = strlen(a), lb = strlen(b);

	if (la > FERRY_INI_NAME_MAX || lb > FERRY_INI_NAME_MAX)
		return UINT_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			row[j] = diag + (lower(a[i - 1]) != lower(b[j - 1]));
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb];
}

static const struct ferry_ini_key *key_find(const struct ferry_ini_section *sec,
					    const char *key)
{
	const struct ferry_ini_key *k;

	for (k = sec->keys; k->name; k++) {
		if (k->prefix ? !strncmp(key, k->prefix, strlen(k->prefix)) :
		    sec->nocase ? !strcasecmp(key, k->name) : !strcmp(key, k->name))
			return k;
	}
	return NULL;
}

/* With the nearest key as a hint: "(did you mean 'instance'?)". */
static int unknown_key(struct ferry_ini *ini, const char *key)
{
	char hint[FERRY_INI_NAME_MAX + 32] = "";
	unsigned int d, best = UINT_MAX;
	const struct ferry_ini_key *k;

	for (k = ini->sec->keys; k->name; k++) {
		d = distance(key, k->name);
		if (d < best && d <= 2 && d < strlen(key)) {
			best = d;
			snprintf(hint, sizeof(hint), " (did you mean '%s'?)", k->name);
		}
	}
	return ferry_ini_err(ini, "[%s] unknown key '%s'%s", ini->section, key,
			     hint);
}

/* Each element of a comma-separated list in ini->value. */
static int set_list(struct ferry_ini *ini, const struct ferry_ini_key *k)
{
	char *tok, *next, *end;

	for (tok = ini->value; tok; tok = next) {
		next = strchr(tok, ',');
		if (next)
			*next++ = '\0';
		tok += strspn(tok, " \t");
		end = tok + strlen(tok);
		while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (!*tok)
			return ferry_ini_key_err(ini, "empty element in the list");
		if (k->set(ini, tok))
			return ini->ret;
	}
	return 0;
}

/* inih's handler: one key of the current section. */
static int handler(void *user, const char *section, const char *key,
		   const char *value)
{
	struct ferry_ini *ini = user;
	const struct ferry_ini_key *k;
	__u32 *line;

	if (!ini->sec)
		return !ferry_ini_err(ini, "key '%s' outside any section", key);
	if (strcmp(section, ini->raw))	/* reader and inih disagree */
		return !ferry_ini_err(ini, "internal error: section '%s' is not '%s'",
				      section, ini->raw);
	k = key_find(ini->sec, key);
	if (!k)
		return !unknown_key(ini, key);
	line = &ini->key_line[k - ini->sec->keys];
	if (*line && !k->repeat)
		return !ferry_ini_err(ini, "[%s] duplicate key '%s' (first at line %u)",
				      ini->section, key, *line);
	*line = ini->line;
	ini->def = k;
	ini->key = key;
	if (!*value)
		return !ferry_ini_key_err(ini, "empty value");
	snprintf(ini->value, sizeof(ini->value), "%s", value);
	if (k->list)
		set_list(ini, k);
	else
		k->set(ini, ini->value);
	return !ini->ret;
}

/* ---- sections ------------------------------------------------------------ */

static int end_section(struct ferry_ini *ini)
{
	const struct ferry_ini_section *sec = ini->sec;
	const struct ferry_ini_key *k;

	if (!sec)
		return 0;
	for (k = sec->keys; k->name; k++)
		if (k->required && !ini->key_line[k - sec->keys])
			return ferry_ini_line_err(ini, ini->sec_line, "[%s] missing key '%s'",
						  ini->section, k->name);
	return sec->end ? sec->end(ini) : 0;
}

static int unknown_section(struct ferry_ini *ini, const char *type)
{
	char known[FERRY_INI_MSG_MAX] = "";
	size_t len = 0;
	unsigned int s;
	int n;

	for (s = 0; s < ini->fmt->nsecs; s++) {
		n = snprintf(known + len, sizeof(known) - len, "%s%s%s",
			     s ? ", " : "", ini->fmt->secs[s].name,
			     ini->fmt->secs[s].named ? " NAME" : "");
		if (n < 0 || (size_t)n >= sizeof(known) - len)
			break;
		len += (size_t)n;
	}
	return ferry_ini_err(ini, "unknown section [%s] (known: %s)", type, known);
}

/* Note the name of a new section secs[s], or say why it is refused. */
static int add_name(struct ferry_ini *ini, unsigned int s, const char *name)
{
	const struct ferry_ini_section *sec = ini->sec;
	struct ferry_ini_name *n;
	__u32 i;

	if (sec->ifname && !ferry_ini_ifname_ok(name))
		return ferry_ini_err(ini, "[%s] bad interface name '%s'",
				     ini->section, name);
	if (!sec->ifname && !ferry_ini_name_ok(name, FERRY_INI_NAME_MAX))
		return ferry_ini_err(ini, "[%s] bad name '%s': use 1-%u of [A-Za-z0-9_-]",
				     ini->section, name, FERRY_INI_NAME_MAX);
	for (i = 0; i < ini->nnames; i++)
		if (ini->names[i].sec == sec && !strcmp(ini->names[i].name, name))
			return ferry_ini_err(ini, "duplicate section [%s] (first at line %u)",
					     ini->section, ini->names[i].line);
	if (ini->count[s] == sec->max)
		return ferry_ini_err(ini, "[%s] too many %s (at most %u)",
				     ini->section, sec->many, sec->max);
	if (ini->nnames == ini->names_cap) {
		i = ini->names_cap ? 2 * ini->names_cap : 64;
		n = realloc(ini->names, i * sizeof(*n));
		if (!n)
			return ferry_ini_oom(ini);
		ini->names = n;
		ini->names_cap = i;
	}
	n = &ini->names[ini->nnames++];
	n->sec = sec;
	n->line = ini->line;
	strcpy(n->name, name);
	return 0;
}

/* inner: what is between the brackets: "TYPE" or "TYPE NAME". */
static int begin_section(struct ferry_ini *ini, char *inner)
{
	const struct ferry_ini_section *sec;
	char *type, *name, *extra, *save;
	unsigned int s;

	if (end_section(ini))
		return ini->ret;
	ini->sec = NULL;
	memset(ini->key_line, 0, sizeof(ini->key_line));
	type = strtok_r(inner, " \t", &save);
	name = type ? strtok_r(NULL, " \t", &save) : NULL;
	extra = name ? strtok_r(NULL, " \t", &save) : NULL;
	if (!type)
		return ferry_ini_err(ini, "empty section name []");
	for (s = 0; s < ini->fmt->nsecs && strcmp(type, ini->fmt->secs[s].name); s++)
		;
	if (s == ini->fmt->nsecs)
		return unknown_section(ini, type);
	sec = &ini->fmt->secs[s];
	snprintf(ini->section, sizeof(ini->section), "%s%s%.*s", type,
		 name ? " " : "", FERRY_INI_NAME_MAX, name ? name : "");
	if (extra)
		return ferry_ini_err(ini, "[%s]: too many words in a section name",
				     ini->raw);
	if (sec->named && !name)
		return ferry_ini_err(ini, "section [%s] needs a name: [%s NAME]",
				     type, type);
	if (!sec->named && name)
		return ferry_ini_err(ini, "section [%s] takes no name, not '%s'",
				     type, name);
	if (!sec->named && ini->first[s])
		return ferry_ini_err(ini, "duplicate section [%s] (first at line %u)",
				     type, ini->first[s]);
	ini->sec = sec;
	ini->obj = ini->cfg;
	ini->sec_line = ini->line;
	if (sec->named && add_name(ini, s, name))
		return ini->ret;
	if (!ini->count[s]++)
		ini->first[s] = ini->line;
	return sec->named && ini->fmt->begin ? ini->fmt->begin(ini, s, name) : 0;
}

/* A line that is a section header: check it and begin the section. */
static int header(struct ferry_ini *ini, const char *line)
{
	const char *s = line + strspn(line, " \t"), *end;
	char inner[FERRY_INI_LINE_MAX];

	if (*s != '[')
		return 0;
	end = strchr(s, ']');
	if (!end)
		return ferry_ini_err(ini, "section header without ']'");
	if (end[1 + strspn(end + 1, " \t\r\n")])
		return ferry_ini_err(ini, "text after the section header");
	memcpy(ini->raw, s + 1, (size_t)(end - s - 1));
	ini->raw[end - s - 1] = '\0';
	strcpy(inner, ini->raw);
	return begin_section(ini, inner);
}

int ferry_ini_need(struct ferry_ini *ini, unsigned int sec)
{
	if (ini->count[sec])
		return 0;
	return ferry_ini_line_err(ini, ini->line ? ini->line : 1,
				  "end of file: missing section [%s%s]",
				  ini->fmt->secs[sec].name,
				  ini->fmt->secs[sec].named ? " NAME" : "");
}

/* ---- the file ------------------------------------------------------------ */

/* inih's reader: one line at a time, counted, headers checked first. */
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
	if (header(ini, buf))
		return NULL;
	return buf;
}

static int run(struct ferry_ini *ini, int line_max)
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
	ret = ini_parse_stream(reader, ini, handler, ini);
	if (ini->ret)
		return ini->ret;
	if (ret > 0)
		return ferry_ini_line_err(ini, (__u32)ret,
					  "expected '[section]', 'key = value' or a comment");
	if (ret < 0)
		return ferry_ini_oom(ini);
	return 0;
}

/* The format fits what is kept of it. */
static bool format_ok(const struct ferry_ini_format *fmt)
{
	const struct ferry_ini_key *k;
	unsigned int s;

	if (fmt->nsecs > FERRY_INI_SECTIONS_MAX || fmt->line_max > FERRY_INI_LINE_MAX)
		return false;
	for (s = 0; s < fmt->nsecs; s++) {
		for (k = fmt->secs[s].keys; k->name; k++)
			;
		if (k - fmt->secs[s].keys > FERRY_INI_KEYS_MAX)
			return false;
	}
	return true;
}

int ferry_ini_parse(struct ferry_ini *ini, const struct ferry_ini_format *fmt,
		    void *parser)
{
	int ret;

	if (!format_ok(fmt))
		return ferry_ini_err(ini, "internal error: more sections, keys or characters a line than inifile.h allows");
	ini->fmt = fmt;
	ini->parser = parser;
	ret = run(ini, fmt->line_max);
	if (!ret && end_section(ini))
		ret = ini->ret;
	free(ini->names);
	ini->names = NULL;
	ini->nnames = 0;
	ini->names_cap = 0;
	return ret;
}
