// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "ferry/layout.h"
#include "ferry_fw.skel.h"
#include "ctconfig.h"
#include "datapath.h"
#include "log.h"

#define FERRY_CT_DEFAULT	65536
#define FERRY_TC_HANDLE		0xf377
#define FERRY_TC_PRIO		0xf377

static int valid_instance(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > 32)
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

int ferry_dp_pin_dir(const char *instance, char *buf, size_t len)
{
	if (!valid_instance(instance)) {
		pr_warn("bad instance name '%s': use 1-32 of [A-Za-z0-9_-]\n",
			instance);
		return -EINVAL;
	}
	if ((size_t)snprintf(buf, len, "%s/%s", FERRY_PIN_ROOT, instance) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* bpffs at /sys/fs/bpf, mounted if it is not. */
static int ensure_bpffs(void)
{
	struct statfs st;

	if (!statfs("/sys/fs/bpf", &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		pr_warn("cannot mount bpffs on /sys/fs/bpf: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

static int mkdir_p(const char *dir)
{
	if (mkdir(dir, 0700) && errno != EEXIST) {
		pr_warn("cannot create %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	return 0;
}

int ferry_dp_map_fd(const char *instance, const char *map)
{
	char path[PATH_MAX];
	int fd, err;

	err = ferry_dp_pin_dir(instance, path, sizeof(path));
	if (err)
		return err;
	if (strlen(path) + strlen(map) + 2 > sizeof(path))
		return -ENAMETOOLONG;
	strcat(path, "/");
	strcat(path, map);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	return fd;
}

/*
 * Refuse pinned state whose layout this build does not understand, and
 * adopt the pinned table's size unless another one was asked for.
 */
static int check_pinned(const char *instance, __u32 *ct_max)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), zero = 0;
	struct ferry_meta meta;
	int fd, err = 0;

	fd = ferry_dp_map_fd(instance, "ferry_meta");
	if (fd == -ENOENT)
		return 0;
	if (fd < 0) {
		pr_warn("cannot open pinned metadata of '%s': %s\n", instance,
			strerror(-fd));
		return fd;
	}
	if (bpf_map_lookup_elem(fd, &zero, &meta)) {
		err = -errno;
		goto out_close;
	}
	if (meta.magic != FERRY_META_MAGIC ||
	    meta.layout_version != FERRY_LAYOUT_VERSION) {
		pr_warn("pinned state of '%s' has layout version %u, this build uses %u: "
			"export it with the ferryctl that created it, then "
			"'ferryctl --instance %s unload' (or flush it the same way)\n",
			instance, meta.layout_version, FERRY_LAYOUT_VERSION,
			instance);
		err = -EPROTO;
		goto out_close;
	}
	close(fd);

	fd = ferry_dp_map_fd(instance, "ferry_ct");
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
		goto out_close;
	}
	if (*ct_max && *ct_max != info.max_entries) {
		pr_warn("pinned table of '%s' holds %u flows, not %u: its size is "
			"fixed while state is pinned\n", instance,
			info.max_entries, *ct_max);
		err = -EEXIST;
		goto out_close;
	}
	*ct_max = info.max_entries;
out_close:
	close(fd);
	return err;
}

static __u64 monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* First load of an instance: metadata and default configuration. */
static int init_state(struct ferry_dp *dp, __u32 ct_max)
{
	struct ferry_meta meta = {
		.magic = FERRY_META_MAGIC,
		.layout_version = FERRY_LAYOUT_VERSION,
		.created_ns = monotonic_ns(),
		.ct_max = ct_max,
	};
	struct ferry_config cfg;
	__u32 zero = 0;

	ferry_config_defaults(&cfg);
	if (bpf_map__update_elem(dp->skel->maps.ferry_config, &zero, sizeof(zero),
				 &cfg, sizeof(cfg), 0) ||
	    bpf_map__update_elem(dp->skel->maps.ferry_meta, &zero, sizeof(zero),
				 &meta, sizeof(meta), 0)) {
		pr_warn("cannot initialise datapath state: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

int ferry_dp_load(struct ferry_dp *dp, const char *instance, __u32 ct_max)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	char links[PATH_MAX + 8];
	int err;

	memset(dp, 0, sizeof(*dp));
	err = ferry_dp_pin_dir(instance, dp->pin_dir, sizeof(dp->pin_dir));
	if (err)
		return err;
	err = ensure_bpffs();
	if (err)
		return err;
	err = check_pinned(instance, &ct_max);
	if (err)
		return err;
	dp->created = access(dp->pin_dir, F_OK) != 0;
	if (mkdir_p(FERRY_PIN_ROOT) || mkdir_p(dp->pin_dir))
		return -EACCES;
	snprintf(links, sizeof(links), "%s/links", dp->pin_dir);
	err = mkdir_p(links);
	if (err)
		return err;

	opts.pin_root_path = dp->pin_dir;
	dp->skel = ferry_fw__open_opts(&opts);
	if (!dp->skel) {
		err = -errno;
		pr_warn("cannot open the datapath object: %s\n", strerror(-err));
		return err;
	}
	err = bpf_map__set_max_entries(dp->skel->maps.ferry_ct,
				       ct_max ? ct_max : FERRY_CT_DEFAULT);
	/* every flow may hold one NAT binding */
	if (!err)
		err = bpf_map__set_max_entries(dp->skel->maps.ferry_nat_rev,
					       ct_max ? ct_max : FERRY_CT_DEFAULT);
	if (err)
		goto out_destroy;
	err = ferry_fw__load(dp->skel);
	if (err) {
		pr_warn("cannot load the datapath: %s\n", strerror(-err));
		goto out_destroy;
	}
	if (dp->created) {
		err = init_state(dp, ct_max ? ct_max : FERRY_CT_DEFAULT);
		if (err)
			goto out_destroy;
	}
	return 0;
out_destroy:
	ferry_fw__destroy(dp->skel);
	dp->skel = NULL;
	return err;
}

void ferry_dp_close(struct ferry_dp *dp)
{
	ferry_fw__destroy(dp->skel);
	dp->skel = NULL;
}

static int link_path(const struct ferry_dp *dp, const char *kind,
		     const char *ifname, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/links/%s_%s", dp->pin_dir, kind,
			     ifname) >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int xdp_link(struct ferry_dp *dp, int ifindex, __u32 flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, lopts, .flags = flags);
	int fd = bpf_program__fd(dp->skel->progs.ferry_xdp);

	fd = bpf_link_create(fd, ifindex, BPF_XDP, &lopts);
	return fd < 0 ? -errno : fd;
}

/* Whether the XDP link behind FD is still attached to interface IFINDEX
 * (a severed link reports no interface). */
static bool xdp_link_on(int fd, int ifindex)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return true;	/* cannot tell: let the update decide */
	return info.type != BPF_LINK_TYPE_XDP || (int)info.xdp.ifindex == ifindex;
}

int ferry_xdp_mode_parse(const char *s, enum ferry_xdp_mode *mode)
{
	if (!strcmp(s, "auto"))
		*mode = FERRY_XDP_AUTO;
	else if (!strcmp(s, "native"))
		*mode = FERRY_XDP_NATIVE;
	else if (!strcmp(s, "generic"))
		*mode = FERRY_XDP_GENERIC;
	else
		return -EINVAL;
	return 0;
}

int ferry_dp_attach_xdp(struct ferry_dp *dp, const char *ifname,
			enum ferry_xdp_mode mode, enum ferry_xdp_mode *attached)
{
	int ifindex = if_nametoindex(ifname);
	char path[PATH_MAX];
	int fd = -EINVAL, err;

	if (!ifindex) {
		pr_warn("no interface '%s' in this network namespace\n", ifname);
		return -ENODEV;
	}
	err = link_path(dp, "xdp", ifname, path, sizeof(path));
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd >= 0 && !xdp_link_on(fd, ifindex)) {
		/* Pinned for an interface that is gone (its namespace was
		 * deleted, or it was recreated): the link is severed. */
		pr_info("%s: pinned XDP link %s is for a deleted interface, attaching anew\n",
			ifname, path);
		close(fd);
		fd = -1;
		if (unlink(path)) {
			err = -errno;
			pr_warn("%s: cannot remove stale XDP link %s: %s\n", ifname,
				path, strerror(-err));
			return err;
		}
	}
	if (fd >= 0) {
		/* Attached before: move the link to this program, atomically. */
		err = bpf_link_update(fd, bpf_program__fd(dp->skel->progs.ferry_xdp),
				      NULL);
		if (err)
			err = -errno;
		close(fd);
		if (err) {
			pr_warn("%s: cannot update XDP link %s: %s\n", ifname, path,
				strerror(-err));
			return err;
		}
		*attached = FERRY_XDP_AUTO;
		return 0;
	}
	fd = -EINVAL;
	if (mode != FERRY_XDP_GENERIC) {
		fd = xdp_link(dp, ifindex, XDP_FLAGS_DRV_MODE);
		*attached = FERRY_XDP_NATIVE;
		if (fd < 0 && mode == FERRY_XDP_AUTO)
			pr_info("%s: native XDP unavailable (%s), using generic\n",
				ifname, strerror(-fd));
	}
	if (fd < 0 && mode != FERRY_XDP_NATIVE) {
		fd = xdp_link(dp, ifindex, XDP_FLAGS_SKB_MODE);
		*attached = FERRY_XDP_GENERIC;
	}
	if (fd < 0) {
		pr_warn("%s: cannot attach XDP: %s\n", ifname, strerror(-fd));
		return fd;
	}
	if (bpf_obj_pin(fd, path)) {
		err = -errno;
		pr_warn("%s: cannot pin XDP link at %s: %s\n", ifname, path,
			strerror(-err));
	}
	close(fd);
	return err;
}

int ferry_dp_attach_tc(struct ferry_dp *dp, const char *ifname,
		       enum ferry_tc_dir dir)
{
	int ifindex = if_nametoindex(ifname);
	char path[PATH_MAX];
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook,
		.ifindex = ifindex,
		.attach_point = dir == FERRY_TC_EGRESS ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts,
		.handle = FERRY_TC_HANDLE, .priority = FERRY_TC_PRIO,
		.prog_fd = bpf_program__fd(dp->skel->progs.ferry_tc),
		.flags = BPF_TC_F_REPLACE);
	int err;

	if (!ifindex) {
		pr_warn("no interface '%s' in this network namespace\n", ifname);
		return -ENODEV;
	}
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST) {
		pr_warn("%s: cannot create clsact qdisc: %s\n", ifname, strerror(-err));
		return err;
	}
	err = bpf_tc_attach(&hook, &opts);
	if (err) {
		pr_warn("%s: cannot attach TC %s: %s\n", ifname,
			dir == FERRY_TC_EGRESS ? "egress" : "ingress", strerror(-err));
		return err;
	}
	/* A filter is no link: pin the program as the record of it. */
	err = link_path(dp, dir == FERRY_TC_EGRESS ? "tcegress" : "tcingress",
			ifname, path, sizeof(path));
	if (!err && access(path, F_OK) && bpf_obj_pin(opts.prog_fd, path)) {
		err = -errno;
		pr_warn("%s: cannot pin TC record %s: %s\n", ifname, path,
			strerror(-err));
	}
	return err;
}

/* Detach the TC filter recorded by the pin name tc<dir>_<ifname>. */
static void detach_tc(const char *record)
{
	int egress = !strncmp(record, "tcegress_", 9);
	const char *ifname = record + (egress ? 9 : 10);
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = if_nametoindex(ifname),
		.attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts,
		.handle = FERRY_TC_HANDLE, .priority = FERRY_TC_PRIO);

	if (!hook.ifindex) {
		pr_info("%s: gone, nothing to detach\n", ifname);
		return;
	}
	if (bpf_tc_detach(&hook, &opts))
		pr_warn("%s: cannot detach TC filter\n", ifname);
	else
		pr_info("%s: TC %s detached\n", ifname, egress ? "egress" : "ingress");
}

static void detach_tc_all(const char *pin_dir)
{
	char dir[PATH_MAX + 8];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/links", pin_dir);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "tcegress_", 9) ||
		    !strncmp(de->d_name, "tcingress_", 10))
			detach_tc(de->d_name);
	closedir(d);
}

static int remove_dir(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);
	int err = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_type == DT_DIR)
			err = remove_dir(path) ?: err;
		else if (unlink(path))
			err = -errno;
	}
	closedir(d);
	if (rmdir(dir))
		err = -errno;
	return err;
}

int ferry_dp_unload(const char *instance)
{
	char dir[PATH_MAX];
	int err;

	err = ferry_dp_pin_dir(instance, dir, sizeof(dir));
	if (err)
		return err;
	if (access(dir, F_OK)) {
		pr_warn("no instance '%s' (nothing at %s)\n", instance, dir);
		return -ENOENT;
	}
	detach_tc_all(dir);
	/* Unpinning a link drops its last reference: XDP detaches. */
	err = remove_dir(dir);
	if (err)
		pr_warn("cannot remove %s: %s\n", dir, strerror(-err));
	return err;
}
