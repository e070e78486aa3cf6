/*
 * meta.h - internal helpers for owned metadata arrays.
 */
#ifndef RHOOK_MODEL_META_H
#define RHOOK_MODEL_META_H

#include <rhook/types.h>

/* *dst = strdup(src), or NULL when src is NULL; 0 or -ENOMEM. */
int rhook__strdup_opt(char **dst, const char *src);
/* Deep copy of @n file metas (NULL when n == 0); 0 or -ENOMEM. */
int rhook__file_meta_array_copy(struct rhook_file_meta **dst, const struct rhook_file_meta *src, size_t n);
void rhook__file_meta_array_free(struct rhook_file_meta *files, size_t n);

#endif /* RHOOK_MODEL_META_H */
