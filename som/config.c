// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The SOM's configuration: an INI file read with libinih, checked
 * strictly, every error "FILE:LINE: [section] key: what is wrong". Its
 * sections and keys are user/lib/inifile.c's table; the values' checks
 * are here.
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

/* A.B.C.D:PORT or [IPV6]:PORT */
static int set_listen(struct ferry_ini *ini, char *v)
{
	struct som_config *cfg = ini->cfg;
	struct sockaddr_in6 *s6;
	struct sockaddr_in *s4;
	char buf[INET6_ADDRSTRLEN + 8], *host = buf, *port;
	__u32 n;

	if (cfg->nlisten == SOM_LISTEN_MAX)
		return ferry_ini_key_err(ini, "more than %d addresses",
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
		return ferry_ini_key_err(ini, "bad port '%s': must be 1-65535",
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
		return ferry_ini_key_err(ini, "'%s' is not an address", host);
	}
	cfg->nlisten++;
	return 0;
bad:
	return ferry_ini_key_err(ini, "'%s' is not ADDR:PORT or [ADDR6]:PORT", v);
}

#define U32(f, lo, hi)	FERRY_INI_U32(struct som_config, f, lo, hi)
#define PATH(f)		FERRY_INI_PATH(struct som_config, f)
#define MS_MAX	(24u * 3600 * 1000)

static const struct ferry_ini_key som_keys[] = {
	{ "identity_key", ferry_ini_set_path, .data = PATH(identity_key), .required = true },
	{ "authorized_keys", ferry_ini_set_path, .data = PATH(authorized_keys), .required = true },
	{ "journal", ferry_ini_set_path, .data = PATH(journal), .required = true },
	{ "control_socket", ferry_ini_set_path, .data = PATH(control_socket) },
	{ "listen", set_listen, .required = true, .repeat = true },
	{ "heartbeat_interval_ms", ferry_ini_set_u32, .data = U32(heartbeat_ms, 100, MS_MAX) },
	{ "lost_timeout_ms", ferry_ini_set_u32, .data = U32(lost_ms, 200, MS_MAX) },
	{ NULL },
};

static const struct ferry_ini_key limits_keys[] = {
	{ "max_connections", ferry_ini_set_u32, .data = U32(max_connections, 1, 65536) },
	{ "max_pending_per_source", ferry_ini_set_u32, .data = U32(max_pending_per_source, 1, 65536) },
	{ "handshakes_per_second", ferry_ini_set_u32, .data = U32(handshakes_per_second, 1, 1000000) },
	{ "frames_per_second", ferry_ini_set_u32, .data = U32(frames_per_second, 1, 1000000) },
	{ "handshake_timeout_ms", ferry_ini_set_u32, .data = U32(handshake_timeout_ms, 10, 600000) },
	{ "max_notifications", ferry_ini_set_u32, .data = U32(max_notifications, 1, 65536) },
	{ NULL },
};

static const struct ferry_ini_key migration_keys[] = {
	{ "deadline_ms", ferry_ini_set_u32, .data = U32(mig_deadline_ms, 100, MS_MAX) },
	{ "max_migrations", ferry_ini_set_u32, .data = U32(max_migrations, 1, 65536) },
	{ NULL },
};

enum { SEC_SOM, SEC_LIMITS, SEC_MIGRATION, SEC_MAX };

static const struct ferry_ini_section sections[SEC_MAX] = {
	[SEC_SOM] = { .name = "som", .keys = som_keys },
	[SEC_LIMITS] = { .name = "limits", .keys = limits_keys },
	[SEC_MIGRATION] = { .name = "migration", .keys = migration_keys },
};

static const struct ferry_ini_format format = {
	.secs = sections,
	.nsecs = SEC_MAX,
	.line_max = LINE_MAX_LEN,
};

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

static int end_of_file(struct ferry_ini *ini, const struct som_config *cfg)
{
	__u32 line = ini->line ? ini->line : 1;

	if (ferry_ini_need(ini, SEC_SOM))
		return ini->ret;
	if (cfg->lost_ms <= cfg->heartbeat_ms)
		return ferry_ini_line_err(ini, line, "[som] lost_timeout_ms (%u) must exceed heartbeat_interval_ms (%u)",
				cfg->lost_ms, cfg->heartbeat_ms);
	return 0;
}

int som_config_parse(const char *text, const char *name, struct som_config *cfg,
		     char *err, size_t errlen)
{
	struct ferry_ini ini = {
		.name = name, .text = text, .err = err, .errlen = errlen, .cfg = cfg,
	};
	int ret;

	defaults(cfg);
	ret = ferry_ini_parse(&ini, &format, NULL);
	return ret ?: end_of_file(&ini, cfg);
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
