/*
 * actions_fuzz.c - libFuzzer target for the action-list JSON decoder
 * (rhook_action_list_from_json, the body of every manifest delta).
 *
 * Beyond "no crash, no leak, no hang", the one rule of rhook/action.h is
 * checked: whatever the decoder accepts, the validator accepts, the
 * encoder encodes, and the encoding decodes to a list that encodes to
 * the same bytes.  A violation aborts (a finding).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rhook/action.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void finding(const char *what, const char *detail)
{
	fprintf(stderr, "actions_fuzz: %s: %s\n", what, detail);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rhook_action_list *a = NULL, *b = NULL;
	char err[512], *j1 = NULL, *j2 = NULL;
	size_t n1, n2;
	int ret = rhook_action_list_from_json((const char *)data, size, &a, err, sizeof(err));

	if (ret == -ENOMEM)
		return 0;
	if (ret) {
		if (ret != -EINVAL || !err[0])
			finding("a refusal without -EINVAL and a message", err);
		return 0;
	}
	if (rhook_action_list_validate(a, err, sizeof(err)))
		finding("decoded a list the rule refuses", err);
	ret = rhook_action_list_to_json(a, &j1, &n1);
	if (ret == -EINVAL)
		finding("cannot encode a decoded list", rhook_action_list_errmsg());
	if (!ret && (ret = rhook_action_list_from_json(j1, n1, &b, err, sizeof(err))) == -EINVAL)
		finding("cannot decode its own encoding", err);
	if (!ret && !rhook_action_list_to_json(b, &j2, &n2) && (n1 != n2 || memcmp(j1, j2, n1)))
		finding("the round trip changed the list", j1);
	free(j1);
	free(j2);
	rhook_action_list_free(a);
	rhook_action_list_free(b);
	return 0;
}
