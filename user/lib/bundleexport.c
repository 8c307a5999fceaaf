// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A selection of flows written as bundles back to back, as it is read. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "bundleio.h"

void ferry_bundle_pipe_grow(int fd)
{
	struct stat st;

	if (!fstat(fd, &st) && S_ISFIFO(st.st_mode) &&
	    fcntl(fd, F_GETPIPE_SZ) < FERRY_BUNDLE_PIPE_BYTES)
		fcntl(fd, F_SETPIPE_SZ, FERRY_BUNDLE_PIPE_BYTES);
}

int ferry_export_encode_bundle(const struct ferry_sc_enc_opts *o,
			       const struct ferry_export_rec *r, __u32 n,
			       __u64 now_ns, char *err, size_t errlen)
{
	struct ferry_sc_enc_opts eo = *o;
	struct ferry_sc_enc *e;
	__u32 i;
	int ret = 0;

	eo.flow_count = n;
	e = ferry_sc_enc_new(&eo, err, errlen);
	if (!e)
		return -errno;
	for (i = 0; !ret && i < n; i++)
		ret = ferry_sc_enc_add_entry(e, &r[i].key, &r[i].flow, now_ns);
	if (!ret)
		ret = ferry_sc_enc_finish(e);
	if (ret)
		snprintf(err, errlen, "%s", ferry_sc_enc_error(e));
	ferry_sc_enc_free(e);
	return ret;
}

struct bundles_ctx {
	const struct ferry_sc_enc_opts *o;
	__u64 now;
	char *err;
	size_t errlen;
};

static int on_batch(void *ctx, const struct ferry_export_rec *r, __u32 n)
{
	struct bundles_ctx *c = ctx;

	return ferry_export_encode_bundle(c->o, r, n, c->now, c->err, c->errlen);
}

int ferry_export_bundles(struct ferry_stateops *ops,
			 const struct ferry_export_sel *sel, __u64 now_ns,
			 const struct ferry_sc_enc_opts *o, __u32 bundle_flows,
			 __u64 *n, char *err, size_t errlen)
{
	struct bundles_ctx c = {
		.o = o, .now = now_ns, .err = err, .errlen = errlen,
	};
	int ret;

	err[0] = '\0';
	ret = ferry_export_stream(ops, sel, now_ns,
				  bundle_flows ?: FERRY_EXPORT_BUNDLE_FLOWS,
				  on_batch, &c, n);
	if (ret && !err[0])
		snprintf(err, errlen, "reading the table: %s", strerror(-ret));
	/* nothing selected: one empty bundle, a valid input to an import */
	if (!ret && !*n)
		ret = on_batch(&c, NULL, 0);
	return ret;
}
