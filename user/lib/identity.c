// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Ed25519 identity keys and their files; see identity.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sodium.h>
#include "identity.h"

#define KEYFILE_MAX	128	/* longer than any valid key file */

int ferry_crypto_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

int ferry_identity_generate(struct ferry_identity *id)
{
	if (ferry_crypto_init())
		return -EIO;
	return crypto_sign_keypair(id->pk, id->sk) ? -EIO : 0;
}

int ferry_identity_from_seed(struct ferry_identity *id, const __u8 seed[32])
{
	if (ferry_crypto_init())
		return -EIO;
	return crypto_sign_seed_keypair(id->pk, id->sk, seed) ? -EIO : 0;
}

void ferry_identity_wipe(struct ferry_identity *id)
{
	sodium_memzero(id, sizeof(*id));
}

void ferry_pubkey_to_base64(const __u8 pk[FERRY_WIRE_KEY_LEN],
			    char out[FERRY_PUBKEY_B64_LEN])
{
	sodium_bin2base64(out, FERRY_PUBKEY_B64_LEN, pk, FERRY_WIRE_KEY_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
}

int ferry_pubkey_from_base64(const char *s, __u8 pk[FERRY_WIRE_KEY_LEN])
{
	__u8 bin[FERRY_WIRE_KEY_LEN + 1];
	const char *end;
	size_t n;

	if (sodium_base642bin(bin, sizeof(bin), s, strlen(s), NULL, &n, &end,
			      sodium_base64_VARIANT_ORIGINAL) || *end ||
	    n != FERRY_WIRE_KEY_LEN)
		return -EINVAL;
	memcpy(pk, bin, n);
	return 0;
}

/* Create path exclusively with mode and write text to it. */
static int write_new(const char *path, mode_t mode, const char *text,
		     char *err, size_t errlen)
{
	size_t len = strlen(text);
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s%s", path, strerror(-ret),
			 ret == -EEXIST ? " (refusing to overwrite)" : "");
		return ret;
	}
	/* the umask may have cleared bits, never added: set exactly */
	if (fchmod(fd, mode) || write(fd, text, len) != (ssize_t)len ||
	    fsync(fd)) {
		ret = errno ? -errno : -EIO;
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(-ret));
		unlink(path);
	}
	close(fd);
	return ret;
}

int ferry_identity_write(const struct ferry_identity *id, const char *path,
			 char *err, size_t errlen)
{
	char line[KEYFILE_MAX], pub[4096];
	int ret;

	if ((size_t)snprintf(pub, sizeof(pub), "%s.pub", path) >= sizeof(pub)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	if (!access(pub, F_OK)) {
		snprintf(err, errlen, "%s: exists (refusing to overwrite)", pub);
		return -EEXIST;
	}
	/* the seed is the first half of libsodium's secret key */
	sodium_bin2base64(line, sizeof(line), id->sk, 32,
			  sodium_base64_VARIANT_ORIGINAL);
	strcat(line, "\n");
	ret = write_new(path, 0600, line, err, errlen);
	sodium_memzero(line, sizeof(line));
	if (ret)
		return ret;
	ferry_pubkey_to_base64(id->pk, line);
	strcat(line, "\n");
	ret = write_new(pub, 0644, line, err, errlen);
	if (ret)
		unlink(path);
	return ret;
}

/* Read a small file's single line (newline stripped) into buf. */
static int read_line(int fd, const char *path, char *buf, size_t size,
		     char *err, size_t errlen)
{
	ssize_t n = read(fd, buf, size - 1);

	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	buf[n] = '\0';
	if (n == (ssize_t)size - 1) {
		snprintf(err, errlen, "%s: too long for a key file", path);
		return -EBADMSG;
	}
	if (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (strchr(buf, '\n')) {
		snprintf(err, errlen, "%s: more than one line", path);
		return -EBADMSG;
	}
	return 0;
}

int ferry_identity_load(struct ferry_identity *id, const char *path,
			char *err, size_t errlen)
{
	char line[KEYFILE_MAX];
	__u8 seed[33];
	struct stat st;
	size_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		ret = -EINVAL;
		goto out_close;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "%s: permissions %04o are too open: a private "
			 "key must be 0600 or stricter", path,
			 (unsigned int)(st.st_mode & 07777));
		ret = -EPERM;
		goto out_close;
	}
	ret = read_line(fd, path, line, sizeof(line), err, errlen);
	if (ret)
		goto out_wipe;
	if (sodium_base642bin(seed, sizeof(seed), line, strlen(line), NULL, &n,
			      NULL, sodium_base64_VARIANT_ORIGINAL) || n != 32) {
		snprintf(err, errlen, "%s: not the base64 of a 32-byte key", path);
		ret = -EBADMSG;
		goto out_wipe;
	}
	ret = ferry_identity_from_seed(id, seed);
	if (ret)
		snprintf(err, errlen, "%s: libsodium failed", path);
out_wipe:
	sodium_memzero(line, sizeof(line));
	sodium_memzero(seed, sizeof(seed));
out_close:
	close(fd);
	return ret;
}

int ferry_pubkey_load(const char *path, __u8 pk[FERRY_WIRE_KEY_LEN],
		      char *err, size_t errlen)
{
	char line[KEYFILE_MAX];
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	ret = read_line(fd, path, line, sizeof(line), err, errlen);
	close(fd);
	if (ret)
		return ret;
	if (ferry_pubkey_from_base64(line, pk)) {
		snprintf(err, errlen, "%s: not the base64 of a 32-byte key", path);
		return -EBADMSG;
	}
	return 0;
}
