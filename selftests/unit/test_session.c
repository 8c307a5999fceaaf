// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A whole connection through the sans-IO session: two ends exchanging
 * bytes in odd-sized pieces, messages both ways, a clean close, a
 * truncated stream, a refusal reaching the initiator with its reason, and
 * the authorized-keys policy as the responder's callback.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>
#include "authkeys.h"
#include "wiresession.h"

struct conn {			/* what the SOM keeps per connection */
	const struct ferry_authkeys *keys;
	struct sockaddr_in src;
};

struct got {
	int n;
	__u8 type[8];
	char text[8][32];
};

static struct ferry_identity som, soa;

static int authorize(void *ctx, const struct ferry_hs_peer *peer, char *why,
		     size_t whylen)
{
	struct conn *c = ctx;

	return ferry_authkeys_check(c->keys, peer->pk, peer->role, peer->host_id,
				    (struct sockaddr *)&c->src, why, whylen);
}

static int on_msg(void *ctx, __u8 type, const __u8 *msg, size_t len)
{
	struct got *g = ctx;

	assert_true(g->n < 8 && len < 32);
	g->type[g->n] = type;
	memcpy(g->text[g->n], msg, len);
	g->text[g->n][len] = '\0';
	g->n++;
	return 0;
}

/* Move from's output to to in pieces of 1..piece bytes; feed's result. */
static int flow(struct ferry_session *from, struct ferry_session *to, size_t piece,
		struct got *g)
{
	const __u8 *p;
	size_t len, n;
	int ret = 0;

	p = ferry_session_output(from, &len);
	while (len && !ret) {
		n = len < piece ? len : piece;
		ret = ferry_session_feed(to, p, n, on_msg, g);
		ferry_session_output_done(from, n);
		p = ferry_session_output(from, &len);
		piece = piece % 13 + 1;
	}
	return ret;
}

static struct ferry_authkeys *keys_for(const char *role, const char *host,
				       const char *addrs)
{
	char b64[FERRY_PUBKEY_B64_LEN], text[256], err[FERRY_AUTHKEYS_ERR_MAX];
	struct ferry_authkeys *ak;

	ferry_pubkey_to_base64(soa.pk, b64);
	snprintf(text, sizeof(text), "%s %s %s %s\n", b64, role, host, addrs);
	if (ferry_authkeys_parse(text, "keys", &ak, err, sizeof(err)))
		fail_msg("%s", err);
	return ak;
}

static void start(struct ferry_session *i, struct ferry_session *r, struct conn *c)
{
	struct ferry_hs_config ci = { .id = &soa, .role = FERRY_ROLE_SOA, .host_id = 7,
				      .pinned_pk = som.pk };
	struct ferry_hs_config cr = { .id = &som, .role = FERRY_ROLE_SOM,
				      .authorize = authorize, .ctx = c };

	c->src.sin_family = AF_INET;
	inet_pton(AF_INET, "198.18.0.7", &c->src.sin_addr);
	assert_int_equal(ferry_session_init(i, &ci, true), 0);
	assert_int_equal(ferry_session_init(r, &cr, false), 0);
}

static void test_conversation(void **state)
{
	struct ferry_session i, r;
	struct got gi = {}, gr = {};
	struct conn c = { .keys = keys_for("soa", "7", "198.18.0.0/15") };
	size_t piece;

	for (piece = 1; piece < 600; piece += 97) {
		memset(&gi, 0, sizeof(gi));
		memset(&gr, 0, sizeof(gr));
		start(&i, &r, &c);
		assert_int_equal(ferry_session_send(&i, 40, "x", 1), -EAGAIN);
		assert_int_equal(flow(&i, &r, piece, &gr), 0);	/* HELLO */
		assert_int_equal(flow(&r, &i, piece, &gi), 0);	/* HELLO, AUTH */
		assert_int_equal(flow(&i, &r, piece, &gr), 0);	/* AUTH */
		assert_true(ferry_session_up(&r));
		/* the responder may talk at once, after its RESULT */
		assert_int_equal(ferry_session_send(&r, 41, "welcome", 7), 0);
		assert_int_equal(flow(&r, &i, piece, &gi), 0);
		assert_true(ferry_session_up(&i));
		assert_int_equal(ferry_session_peer(&r)->host_id, 7);
		assert_memory_equal(ferry_session_peer(&i)->pk, som.pk, 32);
		assert_int_equal(ferry_session_send(&i, 40, "register", 8), 0);
		assert_int_equal(ferry_session_send(&i, 42, "heartbeat", 9), 0);
		assert_int_equal(ferry_session_close(&i, FERRY_REASON_OK), 0);
		assert_int_equal(ferry_session_send(&i, 40, "late", 4), -EPIPE);
		assert_int_equal(flow(&i, &r, piece, &gr), 1);
		assert_int_equal(ferry_session_eof(&r), 0);
		assert_int_equal(gi.n, 1);
		assert_string_equal(gi.text[0], "welcome");
		assert_int_equal(gr.n, 2);
		assert_int_equal(gr.type[0], 40);
		assert_string_equal(gr.text[0], "register");
		assert_int_equal(gr.type[1], 42);
		assert_string_equal(gr.text[1], "heartbeat");
		/* the initiator's stream ends without the SOM's CLOSE: cut */
		assert_int_equal(ferry_session_eof(&i), -EPIPE);
		assert_non_null(strstr(ferry_session_error(&i), "truncated"));
		ferry_session_free(&i);
		ferry_session_free(&r);
	}
	ferry_authkeys_free((struct ferry_authkeys *)c.keys);
}

static void refused(const char *role, const char *host, const char *addrs,
		    int reason)
{
	struct ferry_session i, r;
	struct conn c = { .keys = keys_for(role, host, addrs) };

	start(&i, &r, &c);
	assert_int_equal(flow(&i, &r, 1000, NULL), -EACCES);
	assert_int_equal(ferry_session_reason(&r), reason);
	assert_false(ferry_session_up(&r));
	/* the signed refusal still goes out, and the agent learns why */
	assert_int_equal(flow(&r, &i, 1000, NULL), -EACCES);
	assert_int_equal(ferry_session_reason(&i), reason);
	assert_non_null(strstr(ferry_session_error(&i), ferry_wire_reason_name(reason)));
	/* and nothing more is taken */
	assert_int_equal(ferry_session_feed(&r, "x", 1, NULL, NULL), -EPROTO);
	ferry_session_free(&i);
	ferry_session_free(&r);
	ferry_authkeys_free((struct ferry_authkeys *)c.keys);
}

static void test_refusals(void **state)
{
	refused("tde", "7", "any", FERRY_REASON_ROLE);
	refused("soa", "8", "any", FERRY_REASON_HOST_ID);
	refused("soa", "7", "198.19.0.0/16,2001:db8::/32", FERRY_REASON_ADDRESS);
}

static void test_garbage_and_oversize(void **state)
{
	static const char junk[] = "SSH-2.0-OpenSSH_9.2\r\n";
	struct ferry_session i, r;
	struct conn c = { .keys = keys_for("soa", "7", "any") };

	start(&i, &r, &c);
	/* "SSH-" is a length of 0x5353482d: over the handshake limit */
	assert_int_equal(ferry_session_feed(&r, junk, sizeof(junk) - 1, NULL, NULL),
			 -EMSGSIZE);
	assert_int_equal(ferry_session_reason(&r), FERRY_REASON_LIMIT);
	ferry_session_free(&r);
	ferry_session_free(&i);
	start(&i, &r, &c);
	assert_int_equal(ferry_session_eof(&r), -EPIPE);
	assert_non_null(strstr(ferry_session_error(&r), "during the handshake"));
	ferry_session_free(&r);
	ferry_session_free(&i);
	ferry_authkeys_free((struct ferry_authkeys *)c.keys);
}

static int setup(void **state)
{
	return ferry_identity_generate(&som) || ferry_identity_generate(&soa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conversation),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_garbage_and_oversize),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
