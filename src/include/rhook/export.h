/*
 * rhook/export.h - symbol visibility and compiler annotations.
 *
 * The library is built with -fvisibility=hidden; only declarations
 * marked RHOOK_API are exported.  Symbols named rhook__* are internal
 * even when exported (they back inline fast paths in rhook/static/).
 */
#ifndef RHOOK_EXPORT_H
#define RHOOK_EXPORT_H

#if defined(RHOOK_BUILDING_LIBRARY)
#define RHOOK_API __attribute__((visibility("default")))
#else
#define RHOOK_API
#endif

/* A result the caller must look at: an error code or a receipt. */
#define RHOOK_MUST_USE __attribute__((warn_unused_result))

#define RHOOK_LIKELY(x)   __builtin_expect(!!(x), 1)
#define RHOOK_UNLIKELY(x) __builtin_expect(!!(x), 0)

#endif /* RHOOK_EXPORT_H */
