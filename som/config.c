// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The SOM's configuration: an INI file read with libinih, checked
 * strictly, every error "FILE:LINE: [section] key: what is wrong".
 * user/lib/inifile.c feeds inih one line at a time and counts lines, since
 * Debian's inih gives the handler no line number.
 *
 *	[som]
 *	identity_key = /etc/ferry/som.key
 *	authorized_keys = /etc/ferry/authorized_keys
 *	listen = 198.18.0.1:7400          (repeatable; [2001:db8::1]:7400)
 *	journal = /var/lib/ferry/som.journal
 *	control_socket = /run/ferry/som.sock
 *	heartbeat_interval_ms = 5000
 *	lost_timeout_ms = 15000
 *	[limits]
 *	max_connections, max_pending_per_source, handshakes_per_second,
 *	frames_per_second, handshake_timeout_ms, max_notifications
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include "inifile.h"
#include "numparse.h"
#include "som.h"

#define LINE_MAX_LEN	1024
#define CONFIG_MAX	(1u << 20)

struct parse {
	struct ferry_ini ini;	/* file, line, first error */
	struct som_config *cfg;
	__u32 seen[32];		/* line of each key of key_defs, 0: not seen */
	__u32 som_line, limits_line;
};

struct key_def {
	const char *section;
	const char *name;
	int (*set)(struct parse *p, const struct key_def *k, const char *v);
	size_t off;		/* in struct som_config */
	__u32 min, max;		/* numbers */
	bool repeat;
};

static int set_path(struct parse *p, const struct key_def *k, const char *v)
{
	return ferry_ini_path(&p->ini, v, (char *)p->cfg + k->off, k->max);
}

static int set_u32(struct parse *p, const struct key_def *k, const char *v)
{
	return ferry_ini_u32(&p->ini, v, k->min, k->max,
			     (__u32 *)((char *)p->cfg + k->off));
}

/* A.B.C.D:PORT or [IPV6]:PORT */
static int set_listen(struct parse *p, const struct key_def *k, const char *v)
{
	struct som_config *cfg = p->cfg;
	struct sockaddr_in6 *s6;
	struct sockaddr_in *s4;
	char buf[INET6_ADDRSTRLEN + 8], *host = buf, *port;
	__u32 n;

	if (cfg->nlisten == SOM_LISTEN_MAX)
		return ferry_ini_key_err(&p->ini, "more than %d addresses",
					 SOM_LISTEN_MAX);
	if (strlen(v) >= sizeof(buf))
		goto bad;
	strcpy(buf, v);
	if (buf[0] == '[') {
		port = strchr(buf, ']');
		if (!port || port[1] != ':')
			goto bad;
		*port = '\0';
		port += 2;
		host++;
	} else {
		port = strchr(buf, ':');
		if (!port || strchr(port + 1, ':'))
			goto bad;
		*port++ = '\0';
	}
	if (ferry_parse_u32(port, 65535, &n) || !n)
		return ferry_ini_key_err(&p->ini, "bad port '%s': must be 1-65535",
					 port);
	s4 = (struct sockaddr_in *)&cfg->listen[cfg->nlisten];
	s6 = (struct sockaddr_in6 *)&cfg->listen[cfg->nlisten];
	if (v[0] != '[' && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((__u16)n);
	} else if (v[0] == '[' && inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((__u16)n);
	} else {
		return ferry_ini_key_err(&p->ini, "'%s' is not an address", host);
	}
	cfg->nlisten++;
	return 0;
bad:
	return ferry_ini_key_err(&p->ini, "'%s' is not ADDR:PORT or [ADDR6]:PORT", v);
}

#define OFF(f)	offsetof(struct som_config, f)
#define MS_MAX	(24u * 3600 * 1000)

static const struct key_def keys[] = {
	{ "som", "identity_key", set_path, OFF(identity_key), 0, SOM_PATH_MAX, false },
	{ "som", "authorized_keys", set_path, OFF(authorized_keys), 0, SOM_PATH_MAX, false },
	{ "som", "journal", set_path, OFF(journal), 0, SOM_PATH_MAX, false },
	{ "som", "control_socket", set_path, OFF(control_socket), 0, 108, false },
	{ "som", "listen", set_listen, 0, 0, 0, true },
	{ "som", "heartbeat_interval_ms", set_u32, OFF(heartbeat_ms), 100, MS_MAX, false },
	{ "som", "lost_timeout_ms", set_u32, OFF(lost_ms), 200, MS_MAX, false },
	{ "limits", "max_connections", set_u32, OFF(max_connections), 1, 65536, false },
	{ "limits", "max_pending_per_source", set_u32, OFF(max_pending_per_source), 1, 65536, false },
	{ "limits", "handshakes_per_second", set_u32, OFF(handshakes_per_second), 1, 1000000, false },
	{ "limits", "frames_per_second", set_u32, OFF(frames_per_second), 1, 1000000, false },
	{ "limits", "handshake_timeout_ms", set_u32, OFF(handshake_timeout_ms), 10, 600000, false },
	{ "limits", "max_notifications", set_u32, OFF(max_notifications), 1, 65536, false },
	{ "migration", "deadline_ms", set_u32, OFF(mig_deadline_ms), 100, MS_MAX, false },
	{ "migration", "max_migrations", set_u32, OFF(max_migrations), 1, 65536, false },
};

#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parse *p = user;
	size_t i;

	if (strcmp(section, "som") && strcmp(section, "limits") &&
	    strcmp(section, "migration"))
		return !ferry_ini_err(&p->ini, "unknown section [%s] (expected [som], [limits] or [migration])",
				 section);
	for (i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name))
			break;
	if (i == NKEYS)
		return !ferry_ini_err(&p->ini, "[%s] unknown key '%s'", section, name);
	if (p->seen[i] && !keys[i].repeat)
		return !ferry_ini_err(&p->ini, "[%s] %s: repeated (first on line %u)",
				 section, name, p->seen[i]);
	p->seen[i] = p->ini.line;
	p->ini.section = section;
	p->ini.key = name;
	return !keys[i].set(p, &keys[i], value);
}

/* Notes section headers: a repeated one is an error. */
static int header(struct parse *p, const char *line)
{
	__u32 *at;

	while (*line == ' ' || *line == '\t')
		line++;
	if (*line != '[')
		return 0;
	if (!strncmp(line, "[som]", 5))
		at = &p->som_line;
	else if (!strncmp(line, "[limits]", 8))
		at = &p->limits_line;
	else
		return 0;	/* the handler names it, if it has keys */
	if (*at)
		return ferry_ini_err(&p->ini, "section repeated (first on line %u)", *at);
	*at = p->ini.line;
	return 0;
}

static int peek(void *parser, const char *line)
{
	return header(parser, line);
}

static void defaults(struct som_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->control_socket, "/run/ferry/som.sock");
	cfg->heartbeat_ms = 5000;
	cfg->lost_ms = 15000;
	cfg->max_connections = 1024;
	cfg->max_pending_per_source = 8;
	cfg->handshakes_per_second = 20;
	cfg->frames_per_second = 1000;
	cfg->handshake_timeout_ms = 5000;
	cfg->max_notifications = 64;
	cfg->mig_deadline_ms = 10000;
	cfg->max_migrations = 256;
}

static int end_of_file(struct parse *p)
{
	static const char *const required[] = {
		"identity_key", "authorized_keys", "journal", "listen",
	};
	__u32 line = p->ini.line ? p->ini.line : 1;
	size_t i, j;

	if (!p->som_line)
		return ferry_ini_line_err(&p->ini, line, "end of file: missing section [som]");
	for (j = 0; j < sizeof(required) / sizeof(required[0]); j++) {
		for (i = 0; i < NKEYS; i++)
			if (!strcmp(keys[i].name, required[j]))
				break;
		if (!p->seen[i])
			return ferry_ini_line_err(&p->ini, line, "end of file: [som] %s is required",
					required[j]);
	}
	if (p->cfg->lost_ms <= p->cfg->heartbeat_ms)
		return ferry_ini_line_err(&p->ini, line, "[som] lost_timeout_ms (%u) must exceed heartbeat_interval_ms (%u)",
				p->cfg->lost_ms, p->cfg->heartbeat_ms);
	return 0;
}

int som_config_parse(const char *text, const char *name, struct som_config *cfg,
		     char *err, size_t errlen)
{
	struct parse p = {
		.ini = { .name = name, .text = text, .err = err, .errlen = errlen,
			 .peek = peek },
		.cfg = cfg,
	};
	int ret;

	defaults(cfg);
	p.ini.parser = &p;
	ret = ferry_ini_parse(&p.ini, handler, &p, LINE_MAX_LEN);
	return ret ?: end_of_file(&p);
}

int som_config_read(const char *path, struct som_config *cfg, char *err,
		    size_t errlen)
{
	char *text;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	text = malloc(CONFIG_MAX + 1);
	if (!text) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	n = read(fd, text, CONFIG_MAX + 1);
	close(fd);
	if (n < 0 || n > CONFIG_MAX) {
		snprintf(err, errlen, "%s: %s", path,
			 n < 0 ? strerror(errno) : "larger than 1 MiB");
		free(text);
		return n < 0 ? -EIO : -EFBIG;
	}
	text[n] = '\0';
	ret = strlen(text) != (size_t)n ? -EINVAL : 0;
	if (ret)
		snprintf(err, errlen, "%s: contains a NUL byte", path);
	else
		ret = som_config_parse(text, path, cfg, err, errlen);
	free(text);
	return ret;
}
