// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The finished migrations on disk (migdonefile.h): a file parses strictly,
 * every bad line refused with the file, the line and what is wrong; a
 * last line cut short is dropped, expired ids are skipped; what is noted
 * is found again after reopening, the file is rewritten without expired
 * ids, and compacted when it grows.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "migdonefile.h"

#define NOW	1767225600ull
#define ID_A	"101112131415161718191a1b1c1d1e1f"
#define HDR	FERRY_MIG_DONE_FILE_HEADER "\n"

static const __u8 id_a[16] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
			       0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f };

static int parse(const char *text, struct ferry_mig_done *d, int *torn, char *err)
{
	return ferry_mig_done_parse(text, strlen(text), "done.txt", d, NOW, torn, err,
				    256);
}

static void parse_err(const char *text, const char *want)
{
	struct ferry_mig_done *d = ferry_mig_done_new(16);
	char err[256] = "";
	int torn;

	assert_int_equal(parse(text, d, &torn, err), -EINVAL);
	if (!strstr(err, want))
		fail_msg("message '%s' does not say '%s'", err, want);
	ferry_mig_done_free(d);
}

static void test_parse_ok(void **state)
{
	struct ferry_mig_done *d = ferry_mig_done_new(16);
	__u8 id_b[16];
	char err[256];
	int torn;

	memcpy(id_b, id_a, 16);
	id_b[15] = 0xff;
	/* one live id, one expired (skipped), a torn last line (dropped) */
	assert_int_equal(parse(HDR ID_A " 1767225700\n"
			       "101112131415161718191a1b1c1d1eff 1767225600\n"
			       "2021", d, &torn, err), 0);
	assert_int_equal(torn, 1);
	assert_int_equal(ferry_mig_done_count(d), 1);
	assert_true(ferry_mig_done_has(d, id_a));
	assert_false(ferry_mig_done_has(d, id_b));
	/* only the header: empty, not torn */
	ferry_mig_done_free(d);
	d = ferry_mig_done_new(16);
	assert_int_equal(parse(HDR, d, &torn, err), 0);
	assert_int_equal(torn, 0);
	assert_int_equal(ferry_mig_done_count(d), 0);
	ferry_mig_done_free(d);
}

static void test_parse_bad(void **state)
{
	parse_err("", "done.txt:1: empty file");
	parse_err("ferry-migrations-done 2\n", "done.txt:1: 'ferry-migrations-done 2' is not the header");
	parse_err("ferry-migr", "done.txt:1: no header line");
	parse_err(HDR ID_A " 1767225700\n" "101112131415161718191A1B1C1D1E1F 1767225700\n",
		  "done.txt:3: '101112131415161718191A1B1C1D1E1F' is not a migration id");
	parse_err(HDR "1011 1767225700\n", "done.txt:2: '1011 1767225700' is not a migration id");
	parse_err(HDR ID_A "\n", "done.txt:2:");
	parse_err(HDR ID_A "  1767225700\n", "done.txt:2: ' 1767225700' is not an expiry");
	parse_err(HDR ID_A " 17672x5700\n", "done.txt:2: '17672x5700' is not an expiry");
	parse_err(HDR ID_A " 99999999999999999999\n", "done.txt:2: '99999999999999999999' is not an expiry");
	parse_err(HDR ID_A " 1767225700 extra words that go on and on and on\n",
		  "done.txt:2: not a line of this file");
	parse_err(HDR "\n", "done.txt:2:");
}

static int lines_of(const char *path)
{
	FILE *f = fopen(path, "r");
	int c, n = 0;

	assert_non_null(f);
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static void test_file(void **state)
{
	char dir[] = "/tmp/ferry-migdone-XXXXXX", path[64], err[FERRY_MIG_DONE_FILE_ERR_MAX];
	struct ferry_mig_done *d = ferry_mig_done_new(0);
	struct ferry_mig_done_file *f;
	__u8 id[16];
	FILE *out;
	int i;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.migrations-done", dir);
	/* no file yet: an empty set, and the file made */
	f = ferry_mig_done_file_open(path, d, NOW, err, sizeof(err));
	assert_non_null(f);
	assert_string_equal(err, "");
	assert_int_equal(lines_of(path), 1);
	ferry_mig_done_add(d, id_a, NOW + 60, NOW);
	assert_int_equal(ferry_mig_done_file_note(f, d, id_a, NOW + 60, NOW, err,
						  sizeof(err)), 0);
	ferry_mig_done_file_close(f);
	ferry_mig_done_free(d);

	/* reopened before it expires: the id is back (a set of 8 this time) */
	d = ferry_mig_done_new(8);
	f = ferry_mig_done_file_open(path, d, NOW + 1, err, sizeof(err));
	assert_non_null(f);
	assert_true(ferry_mig_done_has(d, id_a));
	/* 200 short-lived ones: the file is compacted as it grows (at more
	 * than twice the set + 64 lines), id_a kept */
	for (i = 0; i < 200; i++) {
		memset(id, i, sizeof(id));
		ferry_mig_done_add(d, id, NOW + 2, NOW + 1);
		assert_int_equal(ferry_mig_done_file_note(f, d, id, NOW + 2, NOW + 1,
							  err, sizeof(err)), 0);
	}
	assert_true(lines_of(path) <= 1 + 2 * 8 + 64);
	assert_true(ferry_mig_done_has(d, id_a));
	ferry_mig_done_file_close(f);
	ferry_mig_done_free(d);

	/* reopened after they expired: only id_a, and the file rewritten so */
	d = ferry_mig_done_new(0);
	f = ferry_mig_done_file_open(path, d, NOW + 3, err, sizeof(err));
	assert_non_null(f);
	assert_int_equal(ferry_mig_done_count(d), 1);
	assert_int_equal(lines_of(path), 2);
	ferry_mig_done_file_close(f);
	ferry_mig_done_free(d);

	/* a torn last line is a warning; a corrupt one refuses the file */
	out = fopen(path, "a");
	fputs("2021", out);
	fclose(out);
	d = ferry_mig_done_new(0);
	f = ferry_mig_done_file_open(path, d, NOW + 3, err, sizeof(err));
	assert_non_null(f);
	assert_non_null(strstr(err, "cut short"));
	ferry_mig_done_file_close(f);
	out = fopen(path, "a");
	fputs("not an id\n", out);
	fclose(out);
	assert_null(ferry_mig_done_file_open(path, d, NOW + 3, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	if (!strstr(err, ":3: 'not an id' is not a migration id"))
		fail_msg("message '%s'", err);
	ferry_mig_done_free(d);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
