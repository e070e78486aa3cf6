/*
 * index.c - bloom filter and key index files (format in index.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "codec.h"
#include "index.h"
#include "util.h"

static const char magic[8] = { 'R', 'H', 'K', 'I', 'D', 'X', '0', '1' };
#define HASHES      7u
#define BITS_PER_KEY 10u
#define HEAD_SIZE   (8u + 8u + 16u)

void lsm__index_name(const rhook_file_id *id, uint64_t version, char buf[LSM__INDEX_NAME_MAX])
{
	char s[RHOOK_FILE_ID_STRLEN];

	rhook_file_id_format(id, s);
	snprintf(buf, LSM__INDEX_NAME_MAX, "%s.%" PRIu64 ".idx", s, version);
}

/* Bit @i of the @k probes of a key (double hashing). */
static uint64_t probe(const uint8_t *key, uint32_t len, unsigned i, uint64_t mask)
{
	uint64_t h1 = XXH64(key, len, 0), h2 = XXH64(key, len, 1) | 1;

	return (h1 + i * h2) & mask;
}

static bool same_key(const struct lsm_row *a, const struct lsm_row *b)
{
	return a->key_len == b->key_len && (!a->key_len || !memcmp(a->key, b->key, a->key_len));
}

int lsm__index_write(int data_fd, const rhook_file_id *id, uint64_t version, const struct lsm_row *rows,
		       size_t num_rows, uint32_t row_group_rows, struct rhook_index_output *out)
{
	size_t keys = 0, keys_bytes = 4, bits = 64, total, bloom_bytes;
	char name[LSM__INDEX_NAME_MAX];
	uint8_t *buf, *p, *bloom;
	int fd, err;

	for (size_t i = 0; i < num_rows; i++) {
		if (i && same_key(&rows[i - 1], &rows[i]))
			continue;
		keys++;
		keys_bytes += 8u + rows[i].key_len;
	}
	while (bits < keys * BITS_PER_KEY)
		bits *= 2;
	bloom_bytes = 8 + bits / 8;
	total = HEAD_SIZE + bloom_bytes + keys_bytes + 8;
	buf = calloc(1, total);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, magic, 8);
	p = lsm__put_u64(buf + 8, version);
	memcpy(p, id->bytes, 16);
	p += 16;
	p = lsm__put_u32(p, (uint32_t)bits);
	p = lsm__put_u32(p, HASHES);
	bloom = p;
	p += bits / 8;
	p = lsm__put_u32(p, (uint32_t)keys);
	for (size_t i = 0; i < num_rows; i++) {
		if (i && same_key(&rows[i - 1], &rows[i]))
			continue;
		for (unsigned h = 0; h < HASHES; h++) {
			uint64_t b = probe(rows[i].key, rows[i].key_len, h, bits - 1);

			bloom[b / 8] |= (uint8_t)(1u << (b % 8));
		}
		p = lsm__put_u32(p, rows[i].key_len);
		if (rows[i].key_len)
			memcpy(p, rows[i].key, rows[i].key_len);
		p += rows[i].key_len;
		p = lsm__put_u32(p, (uint32_t)(i / row_group_rows));
	}
	lsm__put_u64(p, XXH64(buf, (size_t)(p - buf), 0));

	lsm__index_name(id, version, name);
	fd = lsm__fs_create(data_fd, name);
	err = fd < 0 ? fd : lsm__fs_write_all(fd, buf, total);
	if (fd >= 0 && !err)
		err = lsm__fs_sync(fd);
	if (fd >= 0 && close(fd) && !err)
		err = -errno;
	if (err && fd >= 0)
		unlinkat(data_fd, name, 0);
	free(buf);
	if (err)
		return err;
	*out = (struct rhook_index_output){ .file_size = total, .version = version, .inverted_size = keys_bytes,
					    .bloom_size = bloom_bytes };
	return 0;
}

bool lsm__index_may_contain(int data_fd, const struct rhook_file_meta *fm, const uint8_t *key, uint32_t key_len)
{
	char name[LSM__INDEX_NAME_MAX], *buf;
	struct lsm__cursor c;
	const uint8_t *b, *bloom;
	uint64_t version;
	uint32_t bits, hashes;
	bool result = true;
	size_t len;

	if (!(fm->available_indexes & RHOOK_INDEX_BLOOM))
		return true;
	lsm__index_name(&fm->file_id, fm->index_version, name);
	if (lsm__fs_read_all(data_fd, name, &buf, &len))
		return true;
	b = (const uint8_t *)buf;
	c = (struct lsm__cursor){ b + 8, b + (len >= 8 ? len - 8 : 0) };
	if (len < HEAD_SIZE + 16 || memcmp(b, magic, 8) || XXH64(b, len - 8, 0) != lsm__get_u64(b + len - 8) ||
	    !lsm__cur_u64(&c, &version) || version != fm->index_version ||
	    memcmp(c.p, fm->file_id.bytes, 16))
		goto out;
	c.p += 16;
	if (!lsm__cur_u32(&c, &bits) || !lsm__cur_u32(&c, &hashes) || hashes > 32 || !bits || (bits & (bits - 1)) ||
	    !lsm__cur_bytes(&c, bits / 8, &bloom))
		goto out;
	result = false;
	for (unsigned h = 0; h < hashes; h++) {
		uint64_t bit = probe(key, key_len, h, bits - 1);

		if (!(bloom[bit / 8] & (1u << (bit % 8))))
			goto out;
	}
	result = true;
out:
	free(buf);
	return result;
}
