// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The datapath as the configuration describes it. At start: probe the
 * kernel, load (or re-attach to) the pinned instance, set zones, timeouts,
 * NAT pools and forwards, rules, then attach to the interfaces. On SIGHUP:
 * all of these but the attachments are applied again (pools and forwards
 * the file no longer names stay until the instance is reloaded).
 */
#include <errno.h>
#include <stdio.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "ferry/layout.h"
#include "ctconfig.h"
#include "datapath.h"
#include "kfeatures.h"
#include "log.h"
#include "natconfig.h"
#include "ruleset.h"
#include "soa.h"

static void report_feature(const struct ferry_kfeature *f, int ok, void *ctx)
{
	if (ok)
		pr_debug("kernel: %s supported\n", f->name);
	else if (f->optional)
		pr_info("kernel: %s missing (Linux %s): the XDP fast path is off\n",
			f->name, f->since);
	else
		pr_warn("kernel: %s missing: needs Linux %s\n", f->name, f->since);
}

static int probe_kernel(struct soa *soa)
{
	int missing, fast_path;

	missing = ferry_kfeatures_probe(report_feature, NULL, &fast_path);
	if (missing) {
		pr_warn("this kernel lacks %d BPF feature(s) the datapath needs "
			"(listed above); refusing to start\n", missing);
		return -EOPNOTSUPP;
	}
	if (!fast_path && (soa->cfg->dp.flags & FERRY_CFG_F_FAST_FORWARD)) {
		pr_warn("fast_forward = yes, but the kernel cannot: running without it\n");
		soa->cfg->dp.flags &= ~FERRY_CFG_F_FAST_FORWARD;
	}
	return 0;
}

/* Timeouts and the fast-path flag from the file; the rest stays. */
static int apply_timeouts(struct soa *soa)
{
	struct ferry_config cur;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(soa->config_fd, &zero, &cur))
		return -errno;
	memcpy(cur.timeout_ns, soa->cfg->dp.timeout_ns, sizeof(cur.timeout_ns));
	cur.flags &= ~FERRY_CFG_F_FAST_FORWARD;
	cur.flags |= soa->cfg->dp.flags & FERRY_CFG_F_FAST_FORWARD;
	if (bpf_map_update_elem(soa->config_fd, &zero, &cur, 0))
		return -errno;
	return 0;
}

static int set_zone(struct soa *soa, const char *ifname, __u16 vlan, __u32 zone)
{
	__u32 ifindex = if_nametoindex(ifname);
	int err;

	if (!ifindex) {
		pr_warn("interface %s: %s\n", ifname, strerror(errno));
		return -ENODEV;
	}
	err = ferry_zone_set(soa->ifzones_fd, soa->config_fd, ifindex, vlan, zone);
	if (err)
		pr_warn("interface %s: cannot set zone %u: %s\n", ifname, zone,
			strerror(-err));
	return err;
}

static int apply_zones(struct soa *soa)
{
	const struct ferry_soa_iface *ifc;
	__u32 i, v;
	int err;

	for (i = 0; i < soa->cfg->nifaces; i++) {
		ifc = &soa->cfg->ifaces[i];
		err = set_zone(soa, ifc->name, 0, ifc->zone);
		for (v = 0; !err && v < ifc->nvlans; v++)
			err = set_zone(soa, ifc->name, ifc->vlans[v].vlan,
				       ifc->vlans[v].zone);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The file's SNAT pools and DNAT forwards as datapath entries: one address
 * range per pool and one pool per zone and family, as the datapath takes
 * them. With write, they are written over what is there. 0 or -errno.
 */
static int nat_entries(const char *path, const struct ferry_soa_config *c,
		       int pools_fd, int fwds_fd)
{
	struct ferry_nat_pool_entry pe[FERRY_SOA_POOLS_MAX];
	struct ferry_nat_fwd_entry fe;
	char err[FERRY_NAT_ERR_MAX];
	__u32 i, j;
	int ret = 0;

	for (i = 0; !ret && i < c->npools; i++) {
		ret = ferry_nat_pool_from_soa(&c->pools[i], &pe[i], err, sizeof(err));
		for (j = 0; !ret && j < i; j++)
			if (!memcmp(&pe[j].key, &pe[i].key, sizeof(pe[i].key))) {
				snprintf(err, sizeof(err), "zone %u already has an %s pool "
					 "('%s'): the datapath takes one per zone and family",
					 c->pools[i].zone, pe[i].key.family == FERRY_AF_INET ?
					 "IPv4" : "IPv6", c->pools[j].name);
				ret = -EINVAL;
			}
		if (ret)
			pr_warn("%s:%u: [snat-pool %s]: %s\n", path, c->pools[i].line,
				c->pools[i].name, err);
		else if (pools_fd >= 0)
			ret = ferry_nat_pool_write(pools_fd, &pe[i]);
	}
	for (i = 0; !ret && i < c->nforwards; i++) {
		ret = ferry_nat_fwd_from_soa(&c->forwards[i], &fe, err, sizeof(err));
		if (ret)
			pr_warn("%s:%u: [forward %s]: %s\n", path, c->forwards[i].line,
				c->forwards[i].name, err);
		else if (fwds_fd >= 0)
			ret = ferry_nat_fwd_write(fwds_fd, &fe);
	}
	return ret;
}

int soa_check(const struct soa *soa)
{
	return nat_entries(soa->config_path, soa->cfg, -1, -1);
}

static int apply_nat(struct soa *soa)
{
	const struct ferry_soa_config *c = soa->cfg;
	int pools, fwds, ret = -ENOENT;

	pools = ferry_dp_map_fd(c->instance, "ferry_nat_pools");
	fwds = ferry_dp_map_fd(c->instance, "ferry_nat_fwds");
	if (pools < 0 || fwds < 0)
		pr_warn("cannot open the NAT maps of instance %s\n", c->instance);
	else
		ret = nat_entries(soa->config_path, c, pools, fwds);
	if (!ret && (c->npools || c->nforwards))
		pr_info("nat: %u pools, %u forwards\n", c->npools, c->nforwards);
	if (pools >= 0)
		close(pools);
	if (fwds >= 0)
		close(fwds);
	return ret;
}

/* The file's VMs into the per-VM index; one registered already stays. */
static int apply_vms(struct soa *soa)
{
	const struct ferry_soa_vm *vm;
	struct ferry_vm_key vk;
	__u64 found;
	__u32 i;
	int err;

	for (vm = soa->cfg->vms; vm < soa->cfg->vms + soa->cfg->nvms; vm++) {
		for (i = 0; i < vm->naddrs; i++) {
			ferry_vm_key_make(&vk, vm->zone, vm->addrs[i].family,
					  vm->addrs[i].addr);
			err = ferry_vm_index_add(&soa->ix, soa->ct_fd,
						 soa->config_fd, &vk, vm->max_flows,
						 &found);
			if (err == -EEXIST)
				continue;
			if (err) {
				pr_warn("vm %s: cannot index address %u: %s\n",
					vm->name, i + 1, strerror(-err));
				return err;
			}
			pr_info("vm %s: address %u indexed, %llu flows found\n",
				vm->name, i + 1, (unsigned long long)found);
		}
	}
	return 0;
}

static int apply_rules(struct soa *soa)
{
	__u32 type_id = 0;
	int btf_fd = 0, err;

	err = ferry_ruleset_btf(soa->ct_fd, &btf_fd, &type_id);
	if (!err)
		err = ferry_ruleset_install(soa->rulesets_fd, soa->cfg->rules,
					    soa->cfg->nrules, btf_fd, type_id);
	if (btf_fd > 0)
		close(btf_fd);
	if (err)
		pr_warn("cannot install the rules: %s\n", strerror(-err));
	else
		pr_info("rules: %u installed\n", soa->cfg->nrules);
	return err;
}

static int attach(struct soa *soa, struct ferry_dp *dp)
{
	const struct ferry_soa_iface *ifc;
	enum ferry_xdp_mode mode;
	__u32 i;
	int err;

	for (i = 0; i < soa->cfg->nifaces; i++) {
		ifc = &soa->cfg->ifaces[i];
		if (ifc->hook == FERRY_SOA_HOOK_XDP) {
			err = ferry_dp_attach_xdp(dp, ifc->name, ifc->xdp_mode, &mode);
			if (!err)
				pr_info("%s: XDP %s\n", ifc->name,
					mode == FERRY_XDP_AUTO ? "was attached: now runs this program" :
					mode == FERRY_XDP_NATIVE ? "attached (native)" :
					"attached (generic)");
		} else {
			err = ferry_dp_attach_tc(dp, ifc->name,
						 ifc->hook == FERRY_SOA_HOOK_TC_EGRESS ?
						 FERRY_TC_EGRESS : FERRY_TC_INGRESS);
			if (!err)
				pr_info("%s: TC %s attached\n", ifc->name,
					ferry_soa_hook_name(ifc->hook));
		}
		if (err) {
			pr_warn("%s: cannot attach: %s\n", ifc->name, strerror(-err));
			return err;
		}
	}
	return 0;
}

static int open_maps(struct soa *soa)
{
	const char *inst = soa->cfg->instance;
	int err;

	soa->ct_fd = ferry_dp_map_fd(inst, "ferry_ct");
	soa->config_fd = ferry_dp_map_fd(inst, "ferry_config");
	soa->rulesets_fd = ferry_dp_map_fd(inst, "ferry_rulesets");
	soa->ifzones_fd = ferry_dp_map_fd(inst, "ferry_ifzones");
	if (soa->ct_fd < 0 || soa->config_fd < 0 || soa->rulesets_fd < 0 ||
	    soa->ifzones_fd < 0) {
		pr_warn("cannot open the pinned maps of instance %s\n", inst);
		return -ENOENT;
	}
	/* The agent moves whole VMs: the largest stage (16 MiB). */
	err = ferry_stateops_open_instance(&soa->ops, inst, FERRY_ST_STAGE_MAX);
	if (err)
		return err;
	soa->ix.index_fd = soa->ops.m.vm_index;
	soa->ix.overflow_fd = soa->ops.m.vm_overflow;
	return 0;
}

int soa_setup(struct soa *soa)
{
	struct ferry_dp dp;
	int err;

	err = probe_kernel(soa);
	if (err)
		return err;
	err = ferry_dp_load(&dp, soa->cfg->instance, soa->cfg->ct_max);
	if (err)
		return err;
	pr_info("instance %s: %s, maps at %s\n", soa->cfg->instance,
		dp.created ? "created" : "re-attached to pinned state", dp.pin_dir);
	err = open_maps(soa) ?: apply_zones(soa) ?: apply_timeouts(soa) ?:
	      apply_nat(soa) ?: apply_vms(soa) ?: apply_rules(soa) ?:
	      attach(soa, &dp);
	ferry_dp_close(&dp);
	if (err && dp.created) {
		pr_warn("removing the instance this start created\n");
		ferry_dp_unload(soa->cfg->instance);
	}
	return err;
}

/* Attachments cannot change without a restart; say so if they would. */
static void warn_iface_changes(const struct ferry_soa_config *old,
			       const struct ferry_soa_config *new)
{
	__u32 i;

	if (old->nifaces != new->nifaces)
		goto differ;
	for (i = 0; i < old->nifaces; i++)
		if (strcmp(old->ifaces[i].name, new->ifaces[i].name) ||
		    old->ifaces[i].hook != new->ifaces[i].hook)
			goto differ;
	if (strcmp(old->instance, new->instance) ||
	    strcmp(old->control_socket, new->control_socket))
		goto differ;
	return;
differ:
	pr_warn("reload: instance, control socket and interface attachments "
		"change only with a restart; the rest is applied\n");
}

int soa_reload(struct soa *soa, char *err, size_t errlen)
{
	struct ferry_soa_config *cfg, *old = soa->cfg;
	int ret;

	ret = ferry_soa_config_read(soa->config_path, &cfg, err, errlen);
	if (ret) {
		pr_warn("reload refused, the running configuration stays: %s\n", err);
		return ret;
	}
	warn_iface_changes(old, cfg);
	/* What cannot change keeps its running value. */
	memcpy(cfg->instance, old->instance, sizeof(cfg->instance));
	memcpy(cfg->control_socket, old->control_socket, sizeof(cfg->control_socket));
	soa->cfg = cfg;
	ret = apply_zones(soa) ?: apply_timeouts(soa) ?: apply_nat(soa) ?:
	      apply_vms(soa) ?: apply_rules(soa) ?: soa_gc_arm(soa);
	if (ret) {
		snprintf(err, errlen, "reload failed part way: %s", strerror(-ret));
		pr_warn("%s\n", err);
		soa->cfg = old;
		ferry_soa_config_free(cfg);
		return ret;
	}
	ferry_soa_config_free(old);
	soa->reloads++;
	pr_info("reloaded %s\n", soa->config_path);
	soa_somlink_reload(soa);
	return 0;
}

void soa_teardown(struct soa *soa)
{
	int *fds[] = { &soa->ct_fd, &soa->config_fd, &soa->rulesets_fd,
		       &soa->ifzones_fd };
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	ferry_stateops_close(&soa->ops);
}
