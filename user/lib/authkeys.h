/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The SOM's authorized-keys file. One key per line:
 *
 *	# comment
 *	<public key, base64>  <soa|tde>  <host id>  <addr>[,<addr>...]
 *
 * An addr is an IPv4 or IPv6 address, a prefix (198.18.0.0/15,
 * 2001:db8::/32), or "any". Fields are separated by spaces or tabs; blank
 * lines and lines starting with '#' are skipped. A key may appear once;
 * two keys may share a host id (rotation: both valid during the overlap).
 * Revocation is removing the line and reloading. Errors: "FILE:LINE: ...".
 */
#ifndef FERRY_AUTHKEYS_H
#define FERRY_AUTHKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <linux/types.h>
#include <ferry/wire.h>

#define FERRY_AUTHKEYS_ERR_MAX		256
#define FERRY_AUTHKEY_PREFIX_MAX	16
#define FERRY_AUTHKEYS_MAX		65536

struct ferry_prefix {
	__u8 family;		/* AF_INET or AF_INET6 */
	__u8 len;		/* prefix length */
	__u8 addr[16];		/* network order; host bits zero */
};

struct ferry_authkey {
	__u8 pk[FERRY_WIRE_KEY_LEN];
	__u8 role;		/* FERRY_ROLE_SOA or FERRY_ROLE_TDE */
	__u32 host_id;
	unsigned int line;
	unsigned int nprefixes;
	struct ferry_prefix prefixes[FERRY_AUTHKEY_PREFIX_MAX];
};

struct ferry_authkeys {
	struct ferry_authkey *keys;	/* sorted by pk */
	size_t n;
};

/* Parse text (named fname in messages). 0 or -EINVAL/-ENOMEM with err. */
int ferry_authkeys_parse(const char *text, const char *fname,
			 struct ferry_authkeys **out, char *err, size_t errlen);
int ferry_authkeys_load(const char *path, struct ferry_authkeys **out,
			char *err, size_t errlen);
void ferry_authkeys_free(struct ferry_authkeys *ak);

/* The entry of a key, or NULL. */
const struct ferry_authkey *ferry_authkeys_find(const struct ferry_authkeys *ak,
						const __u8 pk[FERRY_WIRE_KEY_LEN]);
/* Whether src (AF_INET, AF_INET6; v4-mapped v6 counts as v4) is allowed. */
bool ferry_authkey_allows(const struct ferry_authkey *k, const struct sockaddr *src);

/*
 * The whole policy, for a handshake's authorize callback: a
 * FERRY_REASON_* (OK, UNKNOWN_KEY, ROLE, HOST_ID, ADDRESS) and why.
 */
int ferry_authkeys_check(const struct ferry_authkeys *ak,
			 const __u8 pk[FERRY_WIRE_KEY_LEN], __u8 role, __u32 host_id,
			 const struct sockaddr *src, char *why, size_t whylen);

#endif
