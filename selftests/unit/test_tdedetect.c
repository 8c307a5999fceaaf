// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The TDE's decision with a fake clock: learning, debounce, flaps, one
 * notification per move, VMs independent; and the vote of the evidence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "tdedetect.h"

#define MS	1000000ull
#define DEBOUNCE	(200 * MS)

struct emitted {
	__u32 vm, from, to;
	enum ferry_tde_reason reason;
};

struct rec {
	unsigned int n;
	struct emitted e[16];
};

static void record(void *ctx, __u32 vm, __u32 from, __u32 to,
		   enum ferry_tde_reason reason)
{
	struct rec *r = ctx;

	assert_true(r->n < 16);
	r->e[r->n++] = (struct emitted){ vm, from, to, reason };
}

struct fx {
	struct ferry_tde_detect d;
	struct rec rec;
};

static int setup(void **state)
{
	static struct fx fx;

	memset(&fx, 0, sizeof(fx));
	assert_int_equal(ferry_tde_detect_init(&fx.d, 3, DEBOUNCE), 0);
	/* vm 0 and 1 on host 10, vm 2 unknown */
	ferry_tde_detect_observe(&fx.d, 0, 10, FERRY_TDE_REASON_ROUTE, 0);
	ferry_tde_detect_observe(&fx.d, 1, 10, FERRY_TDE_REASON_ROUTE, 0);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	ferry_tde_detect_free(&fx->d);
	return 0;
}

static void observe(struct fx *fx, __u32 vm, __u32 host,
		    enum ferry_tde_reason reason, __u64 now)
{
	ferry_tde_detect_observe(&fx->d, vm, host, reason, now);
}

static __u64 tick(struct fx *fx, __u64 now)
{
	return ferry_tde_detect_tick(&fx->d, now, record, &fx->rec);
}

static void assert_emitted(const struct emitted *e, __u32 vm, __u32 from,
			   __u32 to, enum ferry_tde_reason reason)
{
	assert_int_equal(e->vm, vm);
	assert_int_equal(e->from, from);
	assert_int_equal(e->to, to);
	assert_int_equal(e->reason, reason);
}

static void learnt_not_notified(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(tick(fx, 1000 * MS), 0);
	/* vm 2's first host is learnt whenever it comes */
	observe(fx, 2, 30, FERRY_TDE_REASON_NEIGH, 5 * MS);
	assert_int_equal(tick(fx, 5000 * MS), 0);
	assert_int_equal(fx->rec.n, 0);
	assert_int_equal(fx->d.vms[2].host, 30);
}

static void move_after_debounce(void **state)
{
	struct fx *fx = *state;

	observe(fx, 0, 20, FERRY_TDE_REASON_ROUTE, 1000 * MS);
	assert_int_equal(tick(fx, 1000 * MS), 1000 * MS + DEBOUNCE);
	assert_int_equal(tick(fx, 1199 * MS), 1200 * MS);
	assert_int_equal(fx->rec.n, 0);
	/* observed again while pending: the interval does not restart */
	observe(fx, 0, 20, FERRY_TDE_REASON_LINK, 1100 * MS);
	assert_int_equal(tick(fx, 1200 * MS), 0);
	assert_int_equal(fx->rec.n, 1);
	assert_emitted(&fx->rec.e[0], 0, 10, 20, FERRY_TDE_REASON_ROUTE);
	/* the same state again and again: never a second one */
	observe(fx, 0, 20, FERRY_TDE_REASON_ROUTE, 1300 * MS);
	assert_int_equal(tick(fx, 9000 * MS), 0);
	assert_int_equal(fx->rec.n, 1);
	assert_int_equal(fx->d.vms[0].host, 20);
	assert_int_equal(fx->d.vms[1].host, 10);	/* vm 1 untouched */
}

static void flap_back_gives_none(void **state)
{
	struct fx *fx = *state;

	observe(fx, 0, 20, FERRY_TDE_REASON_ROUTE, 1000 * MS);
	observe(fx, 0, 10, FERRY_TDE_REASON_ROUTE, 1100 * MS);
	observe(fx, 0, 20, FERRY_TDE_REASON_ROUTE, 1150 * MS);
	observe(fx, 0, 10, FERRY_TDE_REASON_ROUTE, 1199 * MS);
	assert_int_equal(tick(fx, 1199 * MS), 0);
	assert_int_equal(tick(fx, 5000 * MS), 0);
	assert_int_equal(fx->rec.n, 0);
	assert_int_equal(fx->d.vms[0].host, 10);
}

static void flap_restarts_the_interval(void **state)
{
	struct fx *fx = *state;

	observe(fx, 0, 20, FERRY_TDE_REASON_ROUTE, 1000 * MS);
	observe(fx, 0, 10, FERRY_TDE_REASON_ROUTE, 1150 * MS);
	observe(fx, 0, 20, FERRY_TDE_REASON_LINK, 1190 * MS);
	assert_int_equal(tick(fx, 1200 * MS), 1390 * MS);
	assert_int_equal(fx->rec.n, 0);
	assert_int_equal(tick(fx, 1390 * MS), 0);
	assert_int_equal(fx->rec.n, 1);
	assert_emitted(&fx->rec.e[0], 0, 10, 20, FERRY_TDE_REASON_LINK);
}

static void net_change_through_a_third(void **state)
{
	struct fx *fx = *state;

	observe(fx, 0, 20, FERRY_TDE_REASON_ROUTE, 1000 * MS);
	observe(fx, 0, 30, FERRY_TDE_REASON_NEIGH, 1100 * MS);
	assert_int_equal(tick(fx, 1250 * MS), 1300 * MS);
	assert_int_equal(tick(fx, 1300 * MS), 0);
	assert_int_equal(fx->rec.n, 1);
	assert_emitted(&fx->rec.e[0], 0, 10, 30, FERRY_TDE_REASON_NEIGH);
}

static void no_evidence_drops_the_candidate(void **state)
{
	struct fx *fx = *state;

	observe(fx, 0, 20, FERRY_TDE_REASON_ROUTE, 1000 * MS);
	observe(fx, 0, 0, FERRY_TDE_REASON_ROUTE, 1100 * MS);
	assert_int_equal(tick(fx, 5000 * MS), 0);
	assert_int_equal(fx->rec.n, 0);
	assert_int_equal(fx->d.vms[0].host, 10);	/* kept, not forgotten */
	observe(fx, 0, 20, FERRY_TDE_REASON_ROUTE, 6000 * MS);
	assert_int_equal(tick(fx, 6200 * MS), 0);
	assert_int_equal(fx->rec.n, 1);
	assert_emitted(&fx->rec.e[0], 0, 10, 20, FERRY_TDE_REASON_ROUTE);
}

static void vms_are_independent(void **state)
{
	struct fx *fx = *state;

	observe(fx, 1, 20, FERRY_TDE_REASON_ROUTE, 1000 * MS);
	observe(fx, 0, 20, FERRY_TDE_REASON_ROUTE, 1050 * MS);
	assert_int_equal(tick(fx, 1200 * MS), 1250 * MS);
	assert_int_equal(fx->rec.n, 1);
	assert_emitted(&fx->rec.e[0], 1, 10, 20, FERRY_TDE_REASON_ROUTE);
	observe(fx, 0, 10, FERRY_TDE_REASON_ROUTE, 1210 * MS);	/* vm 0 flaps back */
	assert_int_equal(tick(fx, 9000 * MS), 0);
	assert_int_equal(fx->rec.n, 1);
	assert_int_equal(fx->d.vms[2].host, 0);
}

static void zero_debounce(void **state)
{
	struct ferry_tde_detect d;
	struct rec rec = {};

	(void)state;
	assert_int_equal(ferry_tde_detect_init(&d, 1, 0), 0);
	ferry_tde_detect_observe(&d, 0, 1, FERRY_TDE_REASON_ROUTE, 0);
	ferry_tde_detect_observe(&d, 0, 2, FERRY_TDE_REASON_ROUTE, 7);
	assert_int_equal(ferry_tde_detect_tick(&d, 7, record, &rec), 0);
	assert_int_equal(rec.n, 1);
	assert_emitted(&rec.e[0], 0, 1, 2, FERRY_TDE_REASON_ROUTE);
	ferry_tde_detect_observe(&d, 5, 2, FERRY_TDE_REASON_ROUTE, 7);	/* no such VM */
	ferry_tde_detect_free(&d);
}

static void vote(void **state)
{
	__u32 none[] = { 0, 0 }, v4v6[] = { 1, 1 }, partial[] = { 0, 2 },
	      split[] = { 1, 2 }, three[] = { 2, 0, 2 };
	bool by_route = true;

	(void)state;
	assert_int_equal(ferry_tde_vote(NULL, 0, 0, &by_route), 0);
	assert_false(by_route);
	assert_int_equal(ferry_tde_vote(NULL, 0, 5, NULL), 5);
	assert_int_equal(ferry_tde_vote(none, 2, 5, &by_route), 5);	/* no route: neighbour */
	assert_false(by_route);
	assert_int_equal(ferry_tde_vote(v4v6, 2, 5, &by_route), 1);	/* routes win */
	assert_true(by_route);
	assert_int_equal(ferry_tde_vote(partial, 2, 0, NULL), 2);
	assert_int_equal(ferry_tde_vote(split, 2, 5, &by_route), 0);	/* disagree: none */
	assert_true(by_route);
	assert_int_equal(ferry_tde_vote(three, 3, 0, NULL), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(learnt_not_notified, setup, teardown),
		cmocka_unit_test_setup_teardown(move_after_debounce, setup, teardown),
		cmocka_unit_test_setup_teardown(flap_back_gives_none, setup, teardown),
		cmocka_unit_test_setup_teardown(flap_restarts_the_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(net_change_through_a_third, setup, teardown),
		cmocka_unit_test_setup_teardown(no_evidence_drops_the_candidate, setup, teardown),
		cmocka_unit_test_setup_teardown(vms_are_independent, setup, teardown),
		cmocka_unit_test(zero_debounce),
		cmocka_unit_test(vote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
