// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Identity key files: modes, no overwrite, loose permissions refused,
 * malformed content, base64; and ferryctl keygen. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "identity.h"

static char dir[] = "/tmp/ferry-test-identity.XXXXXX";
static char key[128], pub[128];

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(key, sizeof(key), "%s/id", dir);
	snprintf(pub, sizeof(pub), "%s/id.pub", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void put(const char *path, const char *text, mode_t mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_write_load(void **state)
{
	struct ferry_identity id, back;
	__u8 pk[32];
	char err[FERRY_IDENTITY_ERR_MAX];
	struct stat st;

	unlink(key);
	unlink(pub);
	assert_int_equal(ferry_identity_generate(&id), 0);
	assert_int_equal(ferry_identity_write(&id, key, err, sizeof(err)), 0);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(pub, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(ferry_identity_load(&back, key, err, sizeof(err)), 0);
	assert_memory_equal(&back, &id, sizeof(id));
	assert_int_equal(ferry_pubkey_load(pub, pk, err, sizeof(err)), 0);
	assert_memory_equal(pk, id.pk, 32);
	/* never overwritten */
	assert_int_equal(ferry_identity_write(&id, key, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "refusing to overwrite"));
	unlink(key);
	assert_int_equal(ferry_identity_write(&id, key, err, sizeof(err)), -EEXIST);
	assert_int_equal(access(key, F_OK), -1);
	assert_int_equal(ferry_identity_write(&id, dir, err, sizeof(err)), -EEXIST);
	/* stricter than 0600 is fine */
	put(key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", 0400);
	assert_int_equal(ferry_identity_load(&back, key, err, sizeof(err)), 0);
}

static void test_loose_and_malformed(void **state)
{
	static const mode_t loose[] = { 0640, 0604, 0660, 0644, 0666, 0610, 0601 };
	static const struct { const char *text; const char *msg; } bad[] = {
		{ "", "not the base64 of a 32-byte key" },
		{ "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n",
		  "not the base64 of a 32-byte key" },	/* 31 bytes */
		{ "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\nx\n", "more than one line" },
		{ "not base64 at all!\n", "not the base64 of a 32-byte key" },
	};
	struct ferry_identity id;
	char err[FERRY_IDENTITY_ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(loose) / sizeof(loose[0]); i++) {
		put(key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", loose[i]);
		assert_int_equal(ferry_identity_load(&id, key, err, sizeof(err)), -EPERM);
		assert_non_null(strstr(err, "too open"));
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put(key, bad[i].text, 0600);
		assert_int_equal(ferry_identity_load(&id, key, err, sizeof(err)), -EBADMSG);
		if (!strstr(err, bad[i].msg))
			fail_msg("case %zu: %s", i, err);
	}
	unlink(key);
	assert_int_equal(ferry_identity_load(&id, key, err, sizeof(err)), -ENOENT);
	assert_int_equal(ferry_identity_load(&id, dir, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
}

static void test_base64(void **state)
{
	__u8 pk[32], back[32];
	char b64[FERRY_PUBKEY_B64_LEN];
	int i;

	for (i = 0; i < 32; i++)
		pk[i] = i;
	ferry_pubkey_to_base64(pk, b64);
	assert_string_equal(b64, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
	assert_int_equal(ferry_pubkey_from_base64(b64, back), 0);
	assert_memory_equal(pk, back, 32);
	assert_int_equal(ferry_pubkey_from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==",
						  back), -EINVAL);
	assert_int_equal(ferry_pubkey_from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= ",
						  back), -EINVAL);
	assert_int_equal(ferry_pubkey_from_base64("", back), -EINVAL);
}

/* The command: PATH 0600, PATH.pub, the key printed, no overwrite. */
static void test_keygen_cmd(void **state)
{
	char cmd[512], line[128];
	struct ferry_identity id;
	char err[FERRY_IDENTITY_ERR_MAX], b64[FERRY_PUBKEY_B64_LEN];
	FILE *p;

	if (access("build/bin/ferryctl", X_OK))
		skip();
	unlink(key);
	unlink(pub);
	snprintf(cmd, sizeof(cmd), "build/bin/ferryctl keygen --out %s", key);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	assert_int_equal(pclose(p), 0);
	assert_int_equal(ferry_identity_load(&id, key, err, sizeof(err)), 0);
	ferry_pubkey_to_base64(id.pk, b64);
	assert_int_equal(strncmp(line, b64, strlen(b64)), 0);
	snprintf(cmd, sizeof(cmd), "build/bin/ferryctl keygen --out %s 2>/dev/null", key);
	assert_int_not_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_load),
		cmocka_unit_test(test_loose_and_malformed),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_keygen_cmd),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
