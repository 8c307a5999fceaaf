// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* `ferryctl agent`: what the agent itself knows, beside the datapath's. */
#include <stdio.h>
#include <unistd.h>
#include "ctiter.h"
#include "soa.h"

int soa_print_status(const struct soa *soa, int fd)
{
	__u64 up = (ferry_now_ns() - soa->started_ns) / 1000000000ull;
	unsigned int i, running = 0;

	for (i = 0; i < SOA_CHILDREN_MAX; i++)
		running += soa->children[i].pid != 0;
	dprintf(fd,
		"agent      pid %d, up %llu s, config %s\n"
		"instance   %s, host id %u\n"
		"socket     %s\n"
		"reloads    %llu\n"
		"sweeps     every %u s: %llu runs, %llu flows removed\n"
		"last sweep %llu entries read, %llu removed, %llu us\n"
		"commands   %u running\n",
		(int)soa->pid, (unsigned long long)up, soa->config_path,
		soa->cfg->instance, soa->cfg->host_id, soa->ctl_path,
		(unsigned long long)soa->reloads, soa->cfg->gc_interval,
		(unsigned long long)soa->gc_runs,
		(unsigned long long)soa->gc_removed,
		(unsigned long long)soa->gc_last_entries,
		(unsigned long long)soa->gc_last_removed,
		(unsigned long long)soa->gc_last_ns / 1000, running);
	dprintf(fd, "som        %s\n", !soa->somlink ? "none ([security] not set)" :
		soa_somlink_registered(soa) ? "registered" : "not registered (retrying)");
	return 0;
}
