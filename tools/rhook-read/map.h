/*
 * map.h - open-addressing hash map from a 128-bit key to a fixed-size
 * value, for the per-region, per-version and per-file state of stats and
 * check.  Values move when the map grows: a pointer from find/insert is
 * valid until the next insert.  Single-threaded.
 */
#ifndef RDR_MAP_H
#define RDR_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rdr_map {
	uint8_t *slots;
	size_t slot_size, val_size, cap, count;
};

void rdr_map_init(struct rdr_map *m, size_t val_size);
void rdr_map_free(struct rdr_map *m);
/* The value of (@k0, @k1), or NULL. */
void *rdr_map_find(const struct rdr_map *m, uint64_t k0, uint64_t k1);
/* The value of (@k0, @k1), zero-filled if new (*@created true); NULL on allocation failure. */
void *rdr_map_insert(struct rdr_map *m, uint64_t k0, uint64_t k1, bool *created);
/*
 * Removes (@k0, @k1) if present (backward-shift deletion: no tombstones,
 * so a map whose keys come and go stays as large as its peak count, not
 * its history).  Values of other keys may move.
 */
void rdr_map_remove(struct rdr_map *m, uint64_t k0, uint64_t k1);
/* Slot @i (0 <= i < m->cap): its value and key, or NULL if empty. */
void *rdr_map_slot(const struct rdr_map *m, size_t i, uint64_t *k0, uint64_t *k1);

#endif /* RDR_MAP_H */
