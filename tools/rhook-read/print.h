/*
 * print.h - text and JSON lines of events (rhook-read print).
 */
#ifndef RHOOK_READ_PRINT_H
#define RHOOK_READ_PRINT_H

#include <stdbool.h>

#include "event.h"
#include "out.h"

/* Appends one line for @ev: babeltrace2-like text, or a JSON object when @json. */
void rhook__print_event(struct rhook__out *o, const struct rhook__rd_event *ev, bool json);

#endif /* RHOOK_READ_PRINT_H */
