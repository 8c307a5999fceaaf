// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ferryctl keygen --out PATH: a new Ed25519 identity (PATH, PATH.pub). */
#include <stdio.h>
#include <string.h>
#include "ferryctl.h"
#include "identity.h"

int cmd_keygen(int argc, char **argv)
{
	char err[FERRY_IDENTITY_ERR_MAX], b64[FERRY_PUBKEY_B64_LEN];
	struct ferry_identity id;
	const char *out = NULL;
	int i, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--out") && i + 1 < argc) {
			out = argv[++i];
		} else {
			fprintf(stderr, "ferryctl keygen: unknown argument '%s'\n", argv[i]);
			return 2;
		}
	}
	if (!out) {
		fprintf(stderr, "usage: ferryctl keygen --out PATH\n");
		return 2;
	}
	if (ferry_identity_generate(&id)) {
		fprintf(stderr, "ferryctl keygen: cannot generate a key\n");
		return 1;
	}
	ret = ferry_identity_write(&id, out, err, sizeof(err));
	ferry_pubkey_to_base64(id.pk, b64);
	ferry_identity_wipe(&id);
	if (ret) {
		fprintf(stderr, "ferryctl keygen: %s\n", err);
		return 1;
	}
	printf("%s\n", b64);
	return 0;
}
