// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ferry-tde notify: the notification a hypervisor hook sends when it
 * knows a VM moved, through the same sink as the detected ones.
 *   notify [--config FILE] (--vm NAME | --zone Z --addr A[,A..]) [--mac M]
 *          --from HOST --to HOST
 * With --config, --vm fills zone, addresses and MAC from the VM's section
 * (options given win) and HOST may be a host's name; else HOST is an id.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "numparse.h"
#include "tdeconfig.h"
#include "daemon.h"
#include "notify_cmd.h"
#include "somsink.h"

struct notify_args {
	const char *config, *vm, *zone, *addrs, *mac, *from, *to;
};

static void usage(FILE *out)
{
	fprintf(out, "usage: ferry-tde notify [--config FILE] (--vm NAME | --zone Z --addr A[,A..])\n"
		     "                        [--mac M] --from HOST --to HOST\n");
}

static int parse_host(const struct ferry_tde_config *cfg, const char *opt,
		      const char *s, __u32 *id)
{
	int i = cfg ? ferry_tde_host_by_name(cfg, s) : -1;

	if (i >= 0) {
		*id = cfg->hosts[i].id;
		return 0;
	}
	if (ferry_parse_u32(s, 0xffffffffu, id) || !*id) {
		fprintf(stderr, "ferry-tde notify: %s: '%s' is not a host id (1..4294967295)%s\n",
			opt, s, cfg ? " or name" : "");
		return -EINVAL;
	}
	return 0;
}

static int parse_addrs(const char *list, struct ferry_tde_notification *n)
{
	char buf[1024], *item, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	n->naddrs = 0;
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		if (n->naddrs == FERRY_TDE_ADDRS_MAX) {
			fprintf(stderr, "ferry-tde notify: --addr: at most %u addresses\n",
				FERRY_TDE_ADDRS_MAX);
			return -EINVAL;
		}
		if (ferry_tde_parse_addr(item, &n->addrs[n->naddrs++])) {
			fprintf(stderr, "ferry-tde notify: --addr: '%s' is not an IPv4 or IPv6 address\n",
				item);
			return -EINVAL;
		}
	}
	if (!n->naddrs) {
		fprintf(stderr, "ferry-tde notify: --addr: no address\n");
		return -EINVAL;
	}
	return 0;
}

/* The VM's identity from the config and the options. */
static int fill_vm(const struct notify_args *a, const struct ferry_tde_config *cfg,
		   struct ferry_tde_notification *n)
{
	int i = cfg && a->vm ? ferry_tde_vm_by_name(cfg, a->vm) : -1;

	if (i >= 0)
		tde_notification_from_vm(cfg, (__u32)i, n);
	else if (cfg && a->vm && !a->addrs) {
		fprintf(stderr, "ferry-tde notify: --vm: no section [vm %s] in %s\n",
			a->vm, a->config);
		return -EINVAL;
	}
	if (a->vm && strlen(a->vm) > FERRY_TDE_NAME_MAX) {
		fprintf(stderr, "ferry-tde notify: --vm: longer than %u characters\n",
			FERRY_TDE_NAME_MAX);
		return -EINVAL;
	}
	if (a->vm)
		strcpy(n->vm, a->vm);
	if (a->zone && (ferry_parse_u32(a->zone, 0xfffffffeu, &n->zone))) {
		fprintf(stderr, "ferry-tde notify: --zone: '%s' is not a zone (0..4294967294)\n",
			a->zone);
		return -EINVAL;
	}
	if (a->addrs && parse_addrs(a->addrs, n))
		return -EINVAL;
	if (a->mac) {
		if (ferry_tde_parse_mac(a->mac, n->mac)) {
			fprintf(stderr, "ferry-tde notify: --mac: '%s' is not a MAC address\n",
				a->mac);
			return -EINVAL;
		}
		n->has_mac = true;
	}
	if (!n->naddrs) {
		fprintf(stderr, "ferry-tde notify: give --addr (or --vm NAME with --config)\n");
		return -EINVAL;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct notify_args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "vm", required_argument, NULL, 'v' },
		{ "zone", required_argument, NULL, 'z' },
		{ "addr", required_argument, NULL, 'a' },
		{ "mac", required_argument, NULL, 'm' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': a->config = optarg; break;
		case 'v': a->vm = optarg; break;
		case 'z': a->zone = optarg; break;
		case 'a': a->addrs = optarg; break;
		case 'm': a->mac = optarg; break;
		case 'f': a->from = optarg; break;
		case 't': a->to = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind < argc || !a->from || !a->to || (!a->vm && !a->addrs)) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

int tde_notify_main(int argc, char **argv, struct ferry_tde_sink *sink)
{
	struct ferry_tde_config *cfg = NULL;
	struct ferry_tde_notification n = {};
	struct ferry_tde_sink som_sink = {};
	struct notify_args a = {};
	char err[FERRY_TDE_ERR_MAX];
	struct timespec ts;
	int ret = 1;

	if (parse_args(argc, argv, &a))
		return 2;
	if (a.config && ferry_tde_config_read(a.config, &cfg, err, sizeof(err))) {
		fprintf(stderr, "ferry-tde notify: %s\n", err);
		return 2;
	}
	if (fill_vm(&a, cfg, &n) || parse_host(cfg, "--from", a.from, &n.from_host) ||
	    parse_host(cfg, "--to", a.to, &n.to_host)) {
		ret = 2;
		goto out_free;
	}
	if (n.from_host == n.to_host) {
		fprintf(stderr, "ferry-tde notify: --from and --to are the same host\n");
		ret = 2;
		goto out_free;
	}
	if (cfg && cfg->has_som) {	/* the config names a SOM: tell it */
		if (tde_sink_som(&som_sink, cfg)) {
			ret = 2;
			goto out_free;
		}
		sink = &som_sink;
	}
	n.reason = FERRY_TDE_REASON_EXPLICIT;
	clock_gettime(CLOCK_REALTIME, &ts);
	n.time_ns = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
	ret = sink->notify(sink, &n);
	if (ret)
		fprintf(stderr, "ferry-tde notify: not sent: %s\n", strerror(-ret));
	ret = ret ? 1 : 0;
	if (sink == &som_sink)
		tde_sink_som_free(&som_sink);
out_free:
	free(cfg);
	return ret;
}
