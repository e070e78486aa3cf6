/*
 * rhook_tp.c - builds the probes of provider "rhook" into their own shared
 * object (librhook-lttng.so).  librhook loads it at start-up only when
 * LTTng tracing can be used, so a program that does not trace never loads
 * liblttng-ust.
 */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#include "rhook_tp.h"
