// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "log.h"
#include "rules.h"
#include "ruleset.h"

_Static_assert(sizeof(struct ferry_ruleset_hdr) <= sizeof(struct ferry_rule),
	       "rule-set header must fit in entry 0");

static int ruleset_fill(int fd, const struct ferry_rule *rules, __u32 n)
{
	struct ferry_rule slot;
	struct ferry_ruleset_hdr hdr = { .count = n };
	__u32 i;
	int err;

	for (i = 0; i < n; i++) {
		__u32 idx = i + 1;

		err = bpf_map_update_elem(fd, &idx, &rules[i], 0);
		if (err)
			return -errno;
	}
	/* The header goes last: until then the map holds no rules. */
	memset(&slot, 0, sizeof(slot));
	memcpy(&slot, &hdr, sizeof(hdr));
	err = bpf_map_update_elem(fd, &(__u32){ 0 }, &slot, 0);
	return err ? -errno : 0;
}

/*
 * Type id of __u32 in the BTF behind btf_fd, for the key of a rule-set map.
 * The kernel wants key and value types together; and before 6.2 an inner map
 * fits its outer map only if both carry BTF or neither does (the template
 * libbpf made from the object does).
 */
static __u32 key_type_id(int btf_fd)
{
	struct bpf_btf_info info = {};
	__u32 len = sizeof(info);
	struct btf *btf;
	int id;

	if (bpf_obj_get_info_by_fd(btf_fd, &info, &len))
		return 0;
	btf = btf__load_from_kernel_by_id(info.id);
	if (!btf)
		return 0;
	id = btf__find_by_name_kind(btf, "__u32", BTF_KIND_TYPEDEF);
	btf__free(btf);
	return id > 0 ? id : 0;
}

int ferry_ruleset_install(int rulesets_fd, const struct ferry_rule *rules,
			  __u32 n, int btf_fd, __u32 value_type_id)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	__u32 zero = 0;
	int fd, err;

	char why[FERRY_RULES_ERR_MAX];
	__u32 i;

	if (n > FERRY_MAX_RULES) {
		pr_warn("rule set has %u rules, the datapath holds at most %u\n",
			n, FERRY_MAX_RULES);
		return -E2BIG;
	}
	/* Whatever the source of the rules, only well-formed ones go in. */
	for (i = 0; i < n; i++) {
		if (ferry_rule_check(&rules[i], why, sizeof(why))) {
			pr_warn("rule %u (id %u) refused: %s\n", i + 1, rules[i].id, why);
			return -EINVAL;
		}
	}
	if (btf_fd > 0 && value_type_id) {
		opts.btf_fd = btf_fd;
		opts.btf_key_type_id = key_type_id(btf_fd);
		opts.btf_value_type_id = value_type_id;
	}
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ferry_rules", sizeof(__u32),
			    sizeof(struct ferry_rule), FERRY_MAX_RULES + 1, &opts);
	if (fd < 0 && btf_fd > 0) {
		/* Older kernels refuse BTF for this map: go without. */
		opts.btf_fd = 0;
		opts.btf_value_type_id = 0;
		fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ferry_rules",
				    sizeof(__u32), sizeof(struct ferry_rule),
				    FERRY_MAX_RULES + 1, &opts);
	}
	if (fd < 0) {
		err = -errno;
		pr_warn("cannot create rule-set map: %s\n", strerror(-err));
		return err;
	}
	err = ruleset_fill(fd, rules, n);
	if (err) {
		pr_warn("cannot fill rule-set map: %s\n", strerror(-err));
		goto out_close;
	}
	/* The swap: the kernel waits for running programs before returning. */
	if (bpf_map_update_elem(rulesets_fd, &zero, &fd, 0)) {
		err = -errno;
		pr_warn("cannot activate rule set: %s\n", strerror(-err));
	}
out_close:
	close(fd);
	return err;
}

int ferry_ruleset_read(int rulesets_fd, struct ferry_rule *rules, __u32 max,
		       __u32 *n)
{
	struct ferry_ruleset_hdr hdr;
	struct ferry_rule slot;
	__u32 zero = 0, id, i;
	int fd, err = 0;

	*n = 0;
	if (bpf_map_lookup_elem(rulesets_fd, &zero, &id))
		return errno == ENOENT ? 0 : -errno;
	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	if (bpf_map_lookup_elem(fd, &zero, &slot)) {
		err = -errno;
		goto out_close;
	}
	memcpy(&hdr, &slot, sizeof(hdr));
	if (hdr.count > max) {
		err = -E2BIG;
		goto out_close;
	}
	for (i = 0; i < hdr.count; i++) {
		__u32 idx = i + 1;

		if (bpf_map_lookup_elem(fd, &idx, &rules[i])) {
			err = -errno;
			goto out_close;
		}
	}
	*n = hdr.count;
out_close:
	close(fd);
	return err;
}

int ferry_ruleset_btf(int map_fd, int *btf_fd, __u32 *type_id)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct btf *btf;
	int id;

	*btf_fd = 0;
	*type_id = 0;
	if (bpf_obj_get_info_by_fd(map_fd, &info, &len))
		return -errno;
	if (!info.btf_id)
		return 0;
	btf = btf__load_from_kernel_by_id(info.btf_id);
	if (!btf)
		return -errno;
	id = btf__find_by_name_kind(btf, "ferry_rule", BTF_KIND_STRUCT);
	btf__free(btf);
	if (id <= 0)
		return 0;
	*btf_fd = bpf_btf_get_fd_by_id(info.btf_id);
	if (*btf_fd < 0) {
		*btf_fd = 0;
		return -errno;
	}
	*type_id = id;
	return 0;
}
