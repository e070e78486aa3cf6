/*
 * map.h - open-addressing hash map from a 128-bit key to a fixed-size
 * value, for the per-region, per-version and per-file state of stats and
 * check.  Values move when the map grows: a pointer from find/insert is
 * valid until the next insert.  Single-threaded.
 */
#ifndef RHOOK_READ_MAP_H
#define RHOOK_READ_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rhook__map {
	uint8_t *slots;
	size_t slot_size, val_size, cap, count;
};

void rhook__map_init(struct rhook__map *m, size_t val_size);
void rhook__map_free(struct rhook__map *m);
/* The value of (@k0, @k1), or NULL. */
void *rhook__map_find(const struct rhook__map *m, uint64_t k0, uint64_t k1);
/* The value of (@k0, @k1), zero-filled if new (*@created true); NULL on allocation failure. */
void *rhook__map_insert(struct rhook__map *m, uint64_t k0, uint64_t k1, bool *created);
/* Slot @i (0 <= i < m->cap): its value and key, or NULL if empty. */
void *rhook__map_slot(const struct rhook__map *m, size_t i, uint64_t *k0, uint64_t *k1);

#endif /* RHOOK_READ_MAP_H */
