/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Ed25519 identity keys (libsodium crypto_sign). A private key file holds
 * one line, the base64 (standard alphabet, padded) of the 32-byte seed;
 * it must have mode 0600 or stricter, or it is refused. The public key is
 * written as base64 of its 32 bytes, the form som_public_key and the
 * authorized-keys file use.
 */
#ifndef FERRY_IDENTITY_H
#define FERRY_IDENTITY_H

#include <stddef.h>
#include <linux/types.h>
#include <ferry/wire.h>

#define FERRY_IDENTITY_ERR_MAX	256
/* base64 of 32 bytes with padding, and its NUL. */
#define FERRY_PUBKEY_B64_LEN	45

struct ferry_identity {
	__u8 pk[FERRY_WIRE_KEY_LEN];	/* public key */
	__u8 sk[64];			/* libsodium secret key (seed || pk) */
};

/* Initialise libsodium once; 0 or -EIO. Every entry point here calls it. */
int ferry_crypto_init(void);

/* A new random identity. 0 or -EIO. */
int ferry_identity_generate(struct ferry_identity *id);
/* The identity of a 32-byte seed (tests, known answers). */
int ferry_identity_from_seed(struct ferry_identity *id, const __u8 seed[32]);
/* Wipe the secret key. */
void ferry_identity_wipe(struct ferry_identity *id);

/*
 * Write path (mode 0600) and path.pub (mode 0644, base64 public key);
 * refuses to overwrite either (-EEXIST). 0 or -errno with a message.
 */
int ferry_identity_write(const struct ferry_identity *id, const char *path,
			 char *err, size_t errlen);
/*
 * Load a private key file; -EPERM if its mode allows group or others any
 * access, -EBADMSG if its content is not one base64 seed line.
 */
int ferry_identity_load(struct ferry_identity *id, const char *path,
			char *err, size_t errlen);

/* base64 of a public key into out[FERRY_PUBKEY_B64_LEN]. */
void ferry_pubkey_to_base64(const __u8 pk[FERRY_WIRE_KEY_LEN],
			    char out[FERRY_PUBKEY_B64_LEN]);
/* Parse base64 of exactly 32 bytes. 0 or -EINVAL. */
int ferry_pubkey_from_base64(const char *s, __u8 pk[FERRY_WIRE_KEY_LEN]);
/* Read a .pub file (one base64 line). 0 or -errno with a message. */
int ferry_pubkey_load(const char *path, __u8 pk[FERRY_WIRE_KEY_LEN],
		      char *err, size_t errlen);

#endif
