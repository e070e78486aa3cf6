/*
 * regionmeta_fuzz.c - libFuzzer target for the region-metadata JSON
 * decoder (rhook_region_meta_from_json).  As for action lists: what it
 * accepts, the rule accepts and the encoding carries without change; a
 * violation aborts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rhook/action.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void finding(const char *what, const char *detail)
{
	fprintf(stderr, "regionmeta_fuzz: %s: %s\n", what, detail);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rhook_region_meta a, b;
	char err[512], *j1 = NULL, *j2 = NULL;
	size_t n1, n2;
	int ret = rhook_region_meta_from_json((const char *)data, size, &a, err, sizeof(err));

	if (ret == -ENOMEM)
		return 0;
	if (ret) {
		if (ret != -EINVAL || !err[0])
			finding("a refusal without -EINVAL and a message", err);
		return 0;
	}
	if (rhook_region_meta_validate(&a, err, sizeof(err)))
		finding("decoded metadata the rule refuses", err);
	ret = rhook_region_meta_to_json(&a, &j1, &n1);
	if (ret == -EINVAL)
		finding("cannot encode decoded metadata", rhook_action_list_errmsg());
	if (!ret) {
		ret = rhook_region_meta_from_json(j1, n1, &b, err, sizeof(err));
		if (ret == -EINVAL)
			finding("cannot decode its own encoding", err);
		if (!ret) {
			if (!rhook_region_meta_to_json(&b, &j2, &n2) && (n1 != n2 || memcmp(j1, j2, n1)))
				finding("the round trip changed the metadata", j1);
			rhook_region_meta_clear(&b);
		}
	}
	free(j1);
	free(j2);
	rhook_region_meta_clear(&a);
	return 0;
}
