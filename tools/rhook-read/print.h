/*
 * print.h - text and JSON lines of events (rhook-read print).
 */
#ifndef RDR_PRINT_H
#define RDR_PRINT_H

#include <stdbool.h>

#include "reader/event.h"
#include "reader/out.h"

/* Appends one line for @ev: babeltrace2-like text, or a JSON object when @json. */
void rdr_print_event(struct rdr_out *o, const struct rdr_event *ev, bool json);

#endif /* RDR_PRINT_H */
