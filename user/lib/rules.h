/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The rule language: the text operators write, one rule per line, parsed
 * into struct ferry_rule and formatted back. docs/rules.md has the grammar.
 *
 * Every function that can fail returns 0 (or a length) or -errno. Those
 * taking err/errlen write one line saying what is wrong there, naming
 * "file:line:" and the offending token; with err == NULL they pr_warn it.
 */
#ifndef FERRY_RULES_H
#define FERRY_RULES_H

#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "ferry/layout.h"

/* Enough for the canonical text of any rule, NUL included. */
#define FERRY_RULE_TEXT_MAX	256
/* Enough for any error message of this file. */
#define FERRY_RULES_ERR_MAX	256

/*
 * Parse one rule from text (a single line; '#' starts a comment). rule->id
 * is 0 when the text has no 'id': the caller assigns one. Empty text is an
 * error. Returns 0 or -EINVAL.
 */
int ferry_rule_parse(const char *text, struct ferry_rule *rule,
		     char *err, size_t errlen);

/*
 * Parse a whole rule file held in text into rules[0..max) (max is capped
 * at FERRY_MAX_RULES); *n gets the count. name is used in messages
 * ("name:line: ..."). A rule without 'id' gets its line number. Returns 0,
 * -EINVAL (bad rule, duplicate id), -E2BIG (more than max rules) or -ENOMEM.
 */
int ferry_rules_parse(const char *text, const char *name,
		      struct ferry_rule *rules, __u32 max, __u32 *n,
		      char *err, size_t errlen);

/* As ferry_rules_parse, into an array allocated for the purpose (at most
 * FERRY_MAX_RULES rules; free() it). *rules is NULL when there are none. */
int ferry_rules_parse_alloc(const char *text, const char *name,
			    struct ferry_rule **rules, __u32 *n,
			    char *err, size_t errlen);

/* As ferry_rules_parse and ferry_rules_parse_alloc, reading the file at
 * path ("-" reads stdin). Also -errno of open/read. */
int ferry_rules_read(const char *path, struct ferry_rule *rules, __u32 max,
		     __u32 *n, char *err, size_t errlen);
int ferry_rules_read_alloc(const char *path, struct ferry_rule **rules,
			   __u32 *n, char *err, size_t errlen);

/*
 * Is rule what the parser produces: known action, flags and family,
 * contiguous masks, addresses masked, family stated by its prefixes or
 * protocol where the text infers it, ports and ICMP fields only with their
 * protocols, id not 0, padding zero? Returns 0 or -EINVAL with a message.
 * Every rule that passes formats into text that parses back to it.
 */
int ferry_rule_check(const struct ferry_rule *rule, char *err, size_t errlen);

/*
 * Write the canonical text of rule into buf (no newline). Returns its
 * length, -EINVAL if ferry_rule_check() rejects the rule (buf gets the
 * reason) or -ENOSPC if size is too small (FERRY_RULE_TEXT_MAX never is).
 */
int ferry_rule_format(const struct ferry_rule *rule, char *buf, size_t size);

/* Write rules[0..n) to f, one canonical line each. Returns 0 or -errno. */
int ferry_rules_write(FILE *f, const struct ferry_rule *rules, __u32 n);

/* Names of IP protocols and ICMP types as the rule text spells them, or
 * NULL for those without one. */
const char *ferry_proto_name(__u8 proto);
const char *ferry_icmp_type_name(__u8 proto, __u8 type);

#endif
