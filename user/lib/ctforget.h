/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What hangs on a flow beside its entry: its keys in the per-VM index and
 * its NAT binding (the reverse entry of its translated tuple). When a flow
 * is deleted from userspace (the sweep), these go with it.
 */
#ifndef FERRY_CTFORGET_H
#define FERRY_CTFORGET_H

#include "ferry/layout.h"
#include "vmindex.h"

struct ferry_ct_links {
	int ct_fd;		/* the table (borrowed, not closed here) */
	struct ferry_vm_index ix;
	int rev_fd;		/* ferry_nat_rev */
};

/* Open instance's maps of links (ct_fd is the caller's); 0 or -errno. */
int ferry_ct_links_open(struct ferry_ct_links *l, const char *instance,
			int ct_fd);
void ferry_ct_links_close(struct ferry_ct_links *l);

/*
 * A ferry_ct_cb for ferry_ct_sweep's on_delete (ctx: the links): the flow
 * (k, f) was deleted; forget its index keys, and remove its binding if the
 * binding still names it and no flow with the same key and translation was
 * created since.
 */
int ferry_ct_forget(const struct ferry_flow_key *k, const struct ferry_flow *f,
		    void *links);

#endif
