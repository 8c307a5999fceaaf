// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The handshake state machine, both sides in memory: a full run, the
 * known-answer vector of docs/protocol.md, every bit of every handshake
 * message flipped, a wrong pinned key, version mismatch, clock skew,
 * authorization refusals, replays of a recorded session, garbage.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "handshake.h"
#include "wireframe.h"

#define KAT_TIME_MS	1767225600000ull	/* 2026-01-01T00:00:00Z */
#define MAX_FRAMES	8

#define KAT_HELLO_I \
	"890001010102010301040705c42029acbae141bccaf0b22e1a94d34d0bc7361e" \
	"526d0bfe12c89794bc9322966dd706c4207a1a4e709bf085ac494aba0469b9b1" \
	"eda0ab1f78b16aabb79ffeda90623e852207cf0000019b76daa80008c4204242" \
	"424242424242424242424242424242424242424242424242424242424242"
#define KAT_HELLO_R \
	"890001010102010303040005c42003a107bff3ce10be1d70dd18e74bc09967e4" \
	"d6309ba50d5f1ddc8664125531b806c420cdefd8783a91b446640e2e1f95599d" \
	"b35e484a0071bd2182b3b60d0812c10c7007cf0000019b76daa80008c4204444" \
	"444444444444444444444444444444444444444444444444444444444444"
#define KAT_SIG_R \
	"41ca393d0189e99637b06e56ff5daf81196c0b0181aa3ae2840edc87b17d1196" \
	"6a236bc89966c7ce3dacad5d06745ceb6a5231b7c695b0f1402df4bd04339c0b"
#define KAT_SIG_I \
	"2c986e3bd4fb83017240117f74e7bbbfa3730388177e56983f2abc03e630e354" \
	"9f534037337c878162b1d747e1e03c3e2177a152ac0363d72b6eba1fa8ec8d04"
#define KAT_RESULT \
	"830003010002c440a32c2a880fb6930ced2a43cf02586479c87b27c197b4e7c1" \
	"5ada2d3915dd7a8776707085ac9f50b6523b932518d1a253abed6f6472557e6d" \
	"e8a7cb7709ab8d03"
#define KAT_TH \
	"42dffe505eb74bd55324fd4c258b93decdd56177678013edce161b5a5db6351c"
#define KAT_K_I2R \
	"8da3f440c9e4a40720027dd431fa4791fc1a05f87618885dca9af7233a20652f"
#define KAT_K_R2I \
	"c32d357072c2804a209ef489e759bd410348137115ee9280fc87bd01fa801511"

struct fixed_rand {		/* each call fills the buffer with fill[i++] */
	__u8 fill[4];
	int i;
	__u64 now;
};

struct world {
	struct ferry_identity som, soa, other;
	struct ferry_hs i, r;
	struct fixed_rand ri, rr;
	int authorize_reason;		/* what the responder's policy answers */
	struct ferry_hs_peer seen;	/* what it was asked about */
	/* the run: every frame body, in order; tampering */
	__u8 frames[MAX_FRAMES][FERRY_WIRE_HS_FRAME_MAX];
	size_t frame_len[MAX_FRAMES];
	int nframes;
	int flip_frame, flip_bit;	/* -1: none */
	int ret_i, ret_r;
};

static __u64 fixed_now(void *ctx)
{
	return ((struct fixed_rand *)ctx)->now;
}

static void fixed_random(void *ctx, void *buf, size_t len)
{
	struct fixed_rand *f = ctx;

	memset(buf, f->fill[f->i++ % 4], len);
}

static int authorize(void *ctx, const struct ferry_hs_peer *peer, char *why,
		     size_t whylen)
{
	struct world *w = ctx;

	w->seen = *peer;
	if (w->authorize_reason)
		snprintf(why, whylen, "test policy says no");
	return w->authorize_reason;
}

static void seed_id(struct ferry_identity *id, __u8 base)
{
	__u8 seed[32];
	int i;

	for (i = 0; i < 32; i++)
		seed[i] = base + i;
	assert_int_equal(ferry_identity_from_seed(id, seed), 0);
}

static int setup(void **state)
{
	static struct world w;

	memset(&w, 0, sizeof(w));
	seed_id(&w.som, 0x00);
	seed_id(&w.soa, 0x20);
	seed_id(&w.other, 0x40);
	w.flip_frame = -1;
	*state = &w;
	return 0;
}

static void cfg_i(struct world *w, struct ferry_hs_config *c)
{
	memset(c, 0, sizeof(*c));
	c->id = &w->soa;
	c->role = FERRY_ROLE_SOA;
	c->host_id = 7;
	c->pinned_pk = w->som.pk;
}

static void cfg_r(struct world *w, struct ferry_hs_config *c)
{
	memset(c, 0, sizeof(*c));
	c->id = &w->som;
	c->role = FERRY_ROLE_SOM;
	c->authorize = authorize;
	c->ctx = w;
}

static __u64 r_now(void *ctx)
{
	return ((struct world *)ctx)->rr.now;
}

static void r_random(void *ctx, void *buf, size_t len)
{
	fixed_random(&((struct world *)ctx)->rr, buf, len);
}

/* Both clocks fixed at now (0: the real clocks); fixed randomness too. */
static void clocks(struct world *w, struct ferry_hs_config *ci,
		   struct ferry_hs_config *cr, __u64 now_i, __u64 now_r,
		   bool fixed_rand)
{
	w->ri = (struct fixed_rand){ { 0x41, 0x42 }, 0, now_i };
	w->rr = (struct fixed_rand){ { 0x43, 0x44 }, 0, now_r };
	ci->ctx = &w->ri;
	ci->now_ms = fixed_now;
	cr->now_ms = r_now;
	if (fixed_rand) {
		ci->random = fixed_random;
		cr->random = r_random;
	}
}

/* Move from's output to to, frame by frame; the last recv result. */
static int deliver(struct world *w, struct ferry_hs *from, struct ferry_hs *to)
{
	struct ferry_frame_rx rx;
	const __u8 *out;
	char err[128];
	size_t len, used, blen;
	__u8 *body;
	int ret = 0, got;

	ferry_frame_rx_init(&rx, FERRY_WIRE_HS_FRAME_MAX);
	out = ferry_hs_output(from, &len);
	ferry_hs_output_done(from, len);
	while (len && ret >= 0) {
		got = ferry_frame_rx_feed(&rx, out, len, &used, err, sizeof(err));
		assert_true(got >= 0);
		out += used;
		len -= used;
		if (!got)
			continue;
		body = ferry_frame_rx_body_mut(&rx, &blen);
		assert_true(w->nframes < MAX_FRAMES);
		if (w->nframes == w->flip_frame) {
			if ((size_t)w->flip_bit / 8 >= blen) {
				ferry_frame_rx_free(&rx);
				return -ERANGE;	/* no such bit: nothing to test */
			}
			body[w->flip_bit / 8] ^= 1 << (w->flip_bit % 8);
		}
		memcpy(w->frames[w->nframes], body, blen);
		w->frame_len[w->nframes++] = blen;
		ret = ferry_hs_recv(to, body, blen);
		ferry_frame_rx_next(&rx);
	}
	ferry_frame_rx_free(&rx);
	return ret;
}

/* Run both sides to the end: 1 if both done, else 0 (see ret_i/ret_r). */
static int run(struct world *w, const struct ferry_hs_config *ci,
	       const struct ferry_hs_config *cr)
{
	int round;

	w->nframes = 0;
	w->ret_i = ferry_hs_init(&w->i, ci, true);
	w->ret_r = ferry_hs_init(&w->r, cr, false);
	assert_int_equal(w->ret_i, 0);
	assert_int_equal(w->ret_r, 0);
	for (round = 0; round < 4; round++) {
		w->ret_r = deliver(w, &w->i, &w->r);
		if (w->ret_r == -ERANGE)
			return -ERANGE;
		w->ret_i = deliver(w, &w->r, &w->i);
		if (w->ret_i == -ERANGE)
			return -ERANGE;
		if (w->ret_r < 0 || w->ret_i < 0)
			return 0;
		if (ferry_hs_done(&w->i) && ferry_hs_done(&w->r))
			return 1;
	}
	return 0;
}

static void test_end_to_end(void **state)
{
	struct world *w = *state;
	struct ferry_hs_config ci, cr;
	struct ferry_session_keys ki, kr;

	cfg_i(w, &ci);
	cfg_r(w, &cr);
	assert_int_equal(run(w, &ci, &cr), 1);
	assert_int_equal(w->nframes, 5);
	assert_int_equal(ferry_hs_keys(&w->i, &ki), 0);
	assert_int_equal(ferry_hs_keys(&w->r, &kr), 0);
	assert_memory_equal(ki.tx, kr.rx, 32);
	assert_memory_equal(ki.rx, kr.tx, 32);
	assert_memory_not_equal(ki.tx, ki.rx, 32);
	assert_memory_equal(ki.th, kr.th, 32);
	assert_int_equal(ki.version, 1);
	assert_int_equal(kr.version, 1);
	/* what the policy was asked, and what each side knows of the other */
	assert_memory_equal(w->seen.pk, w->soa.pk, 32);
	assert_int_equal(w->seen.role, FERRY_ROLE_SOA);
	assert_int_equal(w->seen.host_id, 7);
	assert_memory_equal(ferry_hs_peer(&w->r)->pk, w->soa.pk, 32);
	assert_memory_equal(ferry_hs_peer(&w->i)->pk, w->som.pk, 32);
	assert_int_equal(ferry_hs_peer(&w->i)->role, FERRY_ROLE_SOM);
	/* a second run has fresh keys */
	assert_int_equal(run(w, &ci, &cr), 1);
	assert_int_equal(ferry_hs_keys(&w->i, &kr), 0);
	assert_memory_not_equal(ki.tx, kr.tx, 32);
	assert_memory_not_equal(ki.th, kr.th, 32);
}

static void hex(const __u8 *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void check_hex(const char *what, const __u8 *p, size_t n, const char *want)
{
	char got[2 * FERRY_WIRE_HASH_LEN * 4 + 1];

	hex(p, n, got);
	if (getenv("FERRY_KAT_PRINT"))
		printf("%s\n%s\n", what, got);
	else if (strcmp(got, want))
		fail_msg("%s:\n got  %s\n want %s", what, got, want);
}

/*
 * The known answer (docs/protocol.md "Test vector"): identity seeds
 * 00 01 .. 1f (SOM) and 20 21 .. 3f (SOA), the initiator's ephemeral
 * secret 32 x 0x41 and nonce 32 x 0x42, the responder's 32 x 0x43 and
 * 32 x 0x44, both clocks at 2026-01-01T00:00:00Z, SOA host id 7, SOM 0.
 */
static void test_known_answer(void **state)
{
	struct world *w = *state;
	struct ferry_hs_config ci, cr;
	struct ferry_session_keys k;

	cfg_i(w, &ci);
	cfg_r(w, &cr);
	clocks(w, &ci, &cr, KAT_TIME_MS, KAT_TIME_MS, true);
	assert_int_equal(run(w, &ci, &cr), 1);
	assert_int_equal(ferry_hs_keys(&w->i, &k), 0);
	check_hex("HELLO (initiator)", w->frames[0], w->frame_len[0], KAT_HELLO_I);
	check_hex("HELLO (responder)", w->frames[1], w->frame_len[1], KAT_HELLO_R);
	check_hex("AUTH (responder) signature", w->frames[2] + 6, 64, KAT_SIG_R);
	check_hex("AUTH (initiator) signature", w->frames[3] + 6, 64, KAT_SIG_I);
	check_hex("RESULT", w->frames[4], w->frame_len[4], KAT_RESULT);
	check_hex("transcript hash", k.th, 32, KAT_TH);
	check_hex("initiator to responder key", k.tx, 32, KAT_K_I2R);
	check_hex("responder to initiator key", k.rx, 32, KAT_K_R2I);
}

static void flip_all_bits(struct world *w, int frame)
{
	struct ferry_hs_config ci, cr;
	int bit, ret, tested = 0;

	cfg_i(w, &ci);
	cfg_r(w, &cr);
	for (bit = 0;; bit++) {
		w->flip_frame = frame;
		w->flip_bit = bit;
		ret = run(w, &ci, &cr);
		if (ret == -ERANGE)
			break;
		if (ret == 1)
			fail_msg("frame %d bit %d flipped: handshake still completed",
				 frame, bit);
		/* someone failed, and neither side finished */
		assert_true(w->ret_i < 0 || w->ret_r < 0);
		assert_false(ferry_hs_done(&w->i) && ferry_hs_done(&w->r));
		if (frame != 4)
			assert_false(ferry_hs_done(&w->i));
		tested++;
	}
	w->flip_frame = -1;
	assert_true(tested > 100);
}

static void test_flip_hello_i(void **state) { flip_all_bits(*state, 0); }
static void test_flip_hello_r(void **state) { flip_all_bits(*state, 1); }
static void test_flip_auth_r(void **state) { flip_all_bits(*state, 2); }
static void test_flip_auth_i(void **state) { flip_all_bits(*state, 3); }
static void test_flip_result(void **state) { flip_all_bits(*state, 4); }

static void test_wrong_pinned_key(void **state)
{
	struct world *w = *state;
	struct ferry_hs_config ci, cr;

	cfg_i(w, &ci);
	cfg_r(w, &cr);
	ci.pinned_pk = w->other.pk;
	assert_int_equal(run(w, &ci, &cr), 0);
	assert_int_equal(w->ret_i, -EACCES);
	assert_int_equal(ferry_hs_reason(&w->i), FERRY_REASON_UNKNOWN_KEY);
	assert_non_null(strstr(ferry_hs_error(&w->i), "pinned"));
	/* an impostor SOM with its own key, the agent pinning the real one */
	cfg_i(w, &ci);
	cr.id = &w->other;
	assert_int_equal(run(w, &ci, &cr), 0);
	assert_int_equal(ferry_hs_reason(&w->i), FERRY_REASON_UNKNOWN_KEY);
	assert_false(ferry_hs_done(&w->r));
}

static void test_version_mismatch(void **state)
{
	struct world *w = *state;
	struct ferry_hs_config ci, cr;

	cfg_i(w, &ci);
	cfg_r(w, &cr);
	ci.version_min = 2;
	ci.version_max = 3;
	assert_int_equal(run(w, &ci, &cr), 0);
	assert_int_equal(w->ret_r, -EPROTONOSUPPORT);
	assert_int_equal(ferry_hs_reason(&w->r), FERRY_REASON_VERSION);
	/* the initiator got the signed refusal and its reason */
	assert_int_equal(w->ret_i, -EACCES);
	assert_int_equal(ferry_hs_reason(&w->i), FERRY_REASON_VERSION);
	assert_non_null(strstr(ferry_hs_error(&w->i), "version"));
	/* overlapping ranges agree on the highest common version */
	cr.version_min = 1;
	cr.version_max = 2;
	ci.version_min = 1;
	ci.version_max = 5;
	assert_int_equal(run(w, &ci, &cr), 1);
	assert_int_equal(w->i.keys.version, 2);
	assert_int_equal(w->r.keys.version, 2);
}

static void test_skew(void **state)
{
	struct world *w = *state;
	struct ferry_hs_config ci, cr;
	__u64 t = KAT_TIME_MS, lim = FERRY_WIRE_MAX_SKEW_MS;

	cfg_i(w, &ci);
	cfg_r(w, &cr);
	/* at the bound: accepted, both ways */
	clocks(w, &ci, &cr, t + lim, t, false);
	assert_int_equal(run(w, &ci, &cr), 1);
	clocks(w, &ci, &cr, t - lim, t, false);
	assert_int_equal(run(w, &ci, &cr), 1);
	/* the initiator 1 ms too far ahead: the responder refuses */
	clocks(w, &ci, &cr, t + lim + 1, t, false);
	assert_int_equal(run(w, &ci, &cr), 0);
	assert_int_equal(w->ret_r, -ETIME);
	assert_int_equal(ferry_hs_reason(&w->r), FERRY_REASON_SKEW);
	assert_int_equal(ferry_hs_reason(&w->i), FERRY_REASON_SKEW);
	/* the initiator's clock behind: the responder's HELLO is from the
	 * future for the initiator, which refuses in turn (a smaller bound) */
	clocks(w, &ci, &cr, t, t, false);
	ci.max_skew_ms = 1000;
	w->rr.now = t + 5000;
	assert_int_equal(run(w, &ci, &cr), 0);
	assert_int_equal(w->ret_i, -ETIME);
	assert_int_equal(ferry_hs_reason(&w->i), FERRY_REASON_SKEW);
	assert_false(ferry_hs_done(&w->r));
}

static void test_authorize_refusals(void **state)
{
	static const int reasons[] = { FERRY_REASON_UNKNOWN_KEY, FERRY_REASON_ROLE,
				       FERRY_REASON_HOST_ID, FERRY_REASON_ADDRESS };
	struct world *w = *state;
	struct ferry_hs_config ci, cr;
	size_t i;

	cfg_i(w, &ci);
	cfg_r(w, &cr);
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		w->authorize_reason = reasons[i];
		assert_int_equal(run(w, &ci, &cr), 0);
		assert_int_equal(w->ret_r, -EACCES);
		assert_int_equal(ferry_hs_reason(&w->r), reasons[i]);
		assert_non_null(strstr(ferry_hs_error(&w->r), "test policy says no"));
		assert_int_equal(w->ret_i, -EACCES);
		assert_int_equal(ferry_hs_reason(&w->i), reasons[i]);
		/* refused at once: HELLO, RESULT */
		assert_int_equal(w->nframes, 2);
	}
	w->authorize_reason = 0;
	/* an initiator claiming the SOM's role is refused before the policy */
	ci.role = FERRY_ROLE_SOM;
	assert_int_equal(run(w, &ci, &cr), 0);
	assert_int_equal(ferry_hs_reason(&w->r), FERRY_REASON_ROLE);
}

/* A refusal whose keys come in another order (as another encoder may
 * write them) is still understood as a refusal. */
static void test_result_key_order(void **state)
{
	struct world *w = *state;
	struct ferry_hs_config ci, cr;
	const __u8 *m1, *res;
	__u8 re[80];
	size_t len, rlen;

	cfg_i(w, &ci);
	cfg_r(w, &cr);
	w->authorize_reason = FERRY_REASON_ADDRESS;
	assert_int_equal(ferry_hs_init(&w->i, &ci, true), 0);
	assert_int_equal(ferry_hs_init(&w->r, &cr, false), 0);
	m1 = ferry_hs_output(&w->i, &len);
	assert_int_equal(ferry_hs_recv(&w->r, m1 + 4, len - 4), -EACCES);
	res = ferry_hs_output(&w->r, &rlen);
	res += 4;
	rlen -= 4;
	/* 83 00 03 01 08 02 c4 40 <sig>  ->  83 02 c4 40 <sig> 01 08 00 03 */
	assert_int_equal(rlen, 72);
	assert_int_equal(res[4], FERRY_REASON_ADDRESS);
	re[0] = 0x83;
	memcpy(re + 1, res + 5, 67);
	memcpy(re + 68, res + 3, 2);
	memcpy(re + 70, res + 1, 2);
	assert_int_equal(ferry_hs_recv(&w->i, re, 72), -EACCES);
	assert_int_equal(ferry_hs_reason(&w->i), FERRY_REASON_ADDRESS);
	w->authorize_reason = 0;
}

/* A recorded session's initiator frames, replayed to a fresh responder. */
static void test_replay(void **state)
{
	struct world *w = *state;
	struct ferry_hs_config ci, cr;
	__u8 hello[FERRY_WIRE_HS_FRAME_MAX], auth[FERRY_WIRE_HS_FRAME_MAX];
	size_t hello_len, auth_len, len;
	struct ferry_hs r;

	cfg_i(w, &ci);
	cfg_r(w, &cr);
	assert_int_equal(run(w, &ci, &cr), 1);
	hello_len = w->frame_len[0];
	auth_len = w->frame_len[3];
	memcpy(hello, w->frames[0], hello_len);
	memcpy(auth, w->frames[3], auth_len);
	/* the whole recorded session: HELLO passes (in skew), AUTH does not
	 * (the new responder's ephemeral key and nonce changed the transcript) */
	assert_int_equal(ferry_hs_init(&r, &cr, false), 0);
	assert_int_equal(ferry_hs_recv(&r, hello, hello_len), 0);
	assert_int_equal(ferry_hs_recv(&r, auth, auth_len), -EACCES);
	assert_int_equal(ferry_hs_reason(&r), FERRY_REASON_BAD_SIGNATURE);
	assert_false(ferry_hs_done(&r));
	ferry_hs_output(&r, &len);
	assert_true(len > 0);	/* the signed refusal */
	/* the recorded session's responder frames replayed to an initiator */
	assert_int_equal(ferry_hs_init(&w->i, &ci, true), 0);
	assert_int_equal(ferry_hs_recv(&w->i, w->frames[1], w->frame_len[1]), 0);
	assert_int_equal(ferry_hs_recv(&w->i, w->frames[2], w->frame_len[2]), -EACCES);
	assert_int_equal(ferry_hs_reason(&w->i), FERRY_REASON_BAD_SIGNATURE);
}

static void test_garbage_and_order(void **state)
{
	static const __u8 junk[] = "GET / HTTP/1.1\r\n";
	struct world *w = *state;
	struct ferry_hs_config ci, cr;
	const __u8 *out;
	size_t len;

	cfg_i(w, &ci);
	cfg_r(w, &cr);
	assert_int_equal(ferry_hs_init(&w->r, &cr, false), 0);
	assert_int_equal(ferry_hs_recv(&w->r, junk, sizeof(junk) - 1), -EBADMSG);
	assert_int_equal(ferry_hs_reason(&w->r), FERRY_REASON_MALFORMED);
	assert_non_null(strstr(ferry_hs_error(&w->r), "expected a map"));
	out = ferry_hs_output(&w->r, &len);
	assert_true(len > 0 && out);
	/* over the handshake's size limit */
	{
		static __u8 big[FERRY_WIRE_HS_FRAME_MAX + 1];

		assert_int_equal(ferry_hs_init(&w->r, &cr, false), 0);
		assert_int_equal(ferry_hs_recv(&w->r, big, sizeof(big)), -EMSGSIZE);
		assert_int_equal(ferry_hs_reason(&w->r), FERRY_REASON_LIMIT);
	}
	/* AUTH first: out of order */
	assert_int_equal(run(w, &ci, &cr), 1);
	assert_int_equal(ferry_hs_init(&w->r, &cr, false), 0);
	assert_int_equal(ferry_hs_recv(&w->r, w->frames[3], w->frame_len[3]), -EBADMSG);
	assert_non_null(strstr(ferry_hs_error(&w->r), "keys, expected 9"));
	/* nothing after a failure or after the end */
	assert_true(ferry_hs_recv(&w->r, w->frames[0], w->frame_len[0]) < 0);
	assert_int_equal(run(w, &ci, &cr), 1);
	assert_int_equal(ferry_hs_recv(&w->r, w->frames[0], w->frame_len[0]), -EPROTO);
	/* a refusal signed by someone else than the pinned key */
	assert_int_equal(ferry_hs_init(&w->i, &ci, true), 0);
	cr.id = &w->other;
	w->authorize_reason = FERRY_REASON_ROLE;
	assert_int_equal(ferry_hs_init(&w->r, &cr, false), 0);
	out = ferry_hs_output(&w->i, &len);
	assert_int_equal(ferry_hs_recv(&w->r, out + 4, len - 4), -EACCES);
	out = ferry_hs_output(&w->r, &len);
	assert_int_equal(ferry_hs_recv(&w->i, out + 4, len - 4), -EACCES);
	assert_int_equal(ferry_hs_reason(&w->i), FERRY_REASON_BAD_SIGNATURE);
	w->authorize_reason = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_end_to_end),
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_flip_hello_i),
		cmocka_unit_test(test_flip_hello_r),
		cmocka_unit_test(test_flip_auth_r),
		cmocka_unit_test(test_flip_auth_i),
		cmocka_unit_test(test_flip_result),
		cmocka_unit_test(test_wrong_pinned_key),
		cmocka_unit_test(test_version_mismatch),
		cmocka_unit_test(test_skew),
		cmocka_unit_test(test_authorize_refusals),
		cmocka_unit_test(test_result_key_order),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_garbage_and_order),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
