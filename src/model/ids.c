/*
 * ids.c - region ids and file ids.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <uuid/uuid.h>

#include <rhook/types.h>

char *rhook_region_id_format(rhook_region_id id, char buf[RHOOK_REGION_ID_STRLEN])
{
	snprintf(buf, RHOOK_REGION_ID_STRLEN, "%" PRIu64 "(%" PRIu32 ", %" PRIu32 ")", id,
		 rhook_region_table_id(id), rhook_region_number(id));
	return buf;
}

rhook_file_id rhook_file_id_generate(void)
{
	rhook_file_id id;

	uuid_generate_random(id.bytes);
	return id;
}

void rhook_file_id_format(const rhook_file_id *id, char buf[RHOOK_FILE_ID_STRLEN])
{
	uuid_unparse_lower(id->bytes, buf);
}

int rhook_file_id_parse(const char *str, rhook_file_id *out)
{
	/* uuid_parse() accepts trailing garbage after 36 characters. */
	if (!str || strlen(str) != RHOOK_FILE_ID_STRLEN - 1)
		return -EINVAL;
	return uuid_parse(str, out->bytes) ? -EINVAL : 0;
}

bool rhook_file_id_equal(const rhook_file_id *a, const rhook_file_id *b)
{
	return memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}
