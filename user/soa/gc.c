// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Sweeping expired flows every gc_interval seconds, timed. */
#include <errno.h>
#include <string.h>
#include <sys/timerfd.h>
#include "ctiter.h"
#include "log.h"
#include "soa.h"

int soa_gc_arm(struct soa *soa)
{
	struct itimerspec its = {
		.it_value.tv_sec = soa->cfg->gc_interval,
		.it_interval.tv_sec = soa->cfg->gc_interval,
	};

	if (timerfd_settime(soa->gc_fd, 0, &its, NULL)) {
		pr_warn("cannot arm the sweep timer: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

int soa_gc(struct soa *soa)
{
	struct ferry_sweep st;
	__u64 t0 = ferry_now_ns();
	int err;

	err = ferry_ct_sweep(&soa->ops, t0, &st);
	soa->gc_runs++;
	soa->gc_last_ns = ferry_now_ns() - t0;
	soa->gc_last_removed = st.removed;
	soa->gc_last_entries = st.visited;
	soa->gc_removed += st.removed;
	if (err) {
		pr_warn("sweep of expired flows: %s\n", strerror(-err));
		return err;
	}
	pr_debug("sweep: %llu entries read, %llu expired removed, %llu renewed "
		 "since, %llu us\n", (unsigned long long)st.visited,
		 (unsigned long long)st.removed, (unsigned long long)st.spared,
		 (unsigned long long)soa->gc_last_ns / 1000);
	return 0;
}
