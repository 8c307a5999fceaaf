// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "ctforget.h"
#include "datapath.h"
#include "natconfig.h"

int ferry_ct_links_open(struct ferry_ct_links *l, const char *instance,
			int ct_fd)
{
	int err = ferry_vm_index_open(&l->ix, instance);

	l->ct_fd = ct_fd;
	l->rev_fd = ferry_dp_map_fd(instance, "ferry_nat_rev");
	if (!err && l->rev_fd >= 0)
		return 0;
	ferry_ct_links_close(l);
	return err ?: l->rev_fd;
}

void ferry_ct_links_close(struct ferry_ct_links *l)
{
	ferry_vm_index_close(&l->ix);
	if (l->rev_fd >= 0)
		close(l->rev_fd);
	l->rev_fd = -1;
}

static void forget_binding(const struct ferry_ct_links *l,
			   const struct ferry_flow_key *k,
			   const struct ferry_flow *f)
{
	struct ferry_flow_key rkey, named, again;
	struct ferry_flow now;

	if (!f->nat.kind || ferry_nat_xlat_key(k, f, &rkey))
		return;
	if (bpf_map_lookup_elem(l->rev_fd, &rkey, &named) ||
	    memcmp(&named, k, sizeof(named)))
		return;		/* gone, or another flow's binding now */
	/* The datapath made the flow anew, with the same translation. */
	if (!bpf_map_lookup_elem(l->ct_fd, k, &now) &&
	    !ferry_nat_xlat_key(k, &now, &again) &&
	    !memcmp(&again, &rkey, sizeof(again)))
		return;
	bpf_map_delete_elem(l->rev_fd, &rkey);
}

int ferry_ct_forget(const struct ferry_flow_key *k, const struct ferry_flow *f,
		    void *links)
{
	struct ferry_ct_links *l = links;

	forget_binding(l, k, f);
	return ferry_vm_index_forget(&l->ix, k);
}
