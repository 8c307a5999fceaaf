/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* cmocka assertions over dptest runs; include after <cmocka.h>. Reasons
 * are compared by name so that a failure reads "drop-invalid != pass-new". */
#ifndef FERRY_DPT_ASSERT_H
#define FERRY_DPT_ASSERT_H

#include <linux/bpf.h>
#include "ctconfig.h"
#include "dptest.h"

#define dpt_reason_str(r)	((r) < 0 ? "(no reason counted)" : ferry_reason_name(r))

/* Send spec s through XDP on ifindex: verdict and counted reason. */
#define assert_send_on(d, s, ifindex, verdict, why) do {			\
	int r_ = DPT_NO_REASON;							\
	assert_int_equal(dpt_send_on((d), (s), (ifindex), &r_), (verdict));	\
	assert_string_equal(dpt_reason_str(r_), dpt_reason_str(why));		\
} while (0)

#define assert_send(d, s, verdict, why) \
	assert_send_on((d), (s), (d)->ifindex, (verdict), (why))
#define assert_pass(d, s, why)	assert_send((d), (s), XDP_PASS, (why))
#define assert_drop(d, s, why)	assert_send((d), (s), XDP_DROP, (why))

/* The flow of s in zone exists and is in state st (compared by name). */
#define assert_flow_state(d, zone, s, f, st) do {				\
	assert_int_equal(dpt_flow((d), (zone), (s), (f), NULL), 0);		\
	assert_string_equal(ferry_state_name((f)->state), ferry_state_name(st)); \
} while (0)

#endif
