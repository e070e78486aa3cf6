/*
 * cdp.h - a headless Chromium driven through the DevTools protocol, for
 * tests of pages rhook writes (the report).
 *
 * Chromium runs with --remote-debugging-pipe: commands go to its fd 3
 * and replies and events come from its fd 4, one JSON message each,
 * NUL-terminated (no WebSocket needed).  One page, attached in flat
 * session mode; every event the page sends is kept so that a test can
 * ask what happened (console errors, network requests).  Single-threaded.
 */
#ifndef RHOOK_TESTS_CDP_H
#define RHOOK_TESTS_CDP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

struct cdp {
	pid_t pid;
	int to, from;       /* our ends of the two pipes */
	char *session;      /* the page's session id */
	int next_id;
	json_t *events;     /* every event received, in order */
	char *buf;
	size_t len, cap;
	char profile[4096]; /* Chromium's profile directory, removed by cdp_close() */
};

/*
 * The Chromium to run: $RHOOK_CHROMIUM, else "chromium" if it is on the
 * PATH; NULL when there is none (the caller skips, saying so).
 */
const char *cdp_browser(void);

/*
 * Starts @browser headless with a private profile and the network
 * disabled (no proxy can be reached: every request fails and shows in
 * the events), opens a page and enables its Runtime, Log, Network and
 * Page domains.  0, or -1 with a message on stderr.
 */
int cdp_open(struct cdp *c, const char *browser, int width, int height);
/* Quits the browser, waits for it, removes its profile. */
void cdp_close(struct cdp *c);

/*
 * Sends @method with @params (stolen; NULL for none) to the page (or the
 * browser if @browser_level) and waits at most @timeout_ms for the
 * reply; its "result" (new reference) or NULL on an error or timeout
 * (message on stderr).
 */
json_t *cdp_call(struct cdp *c, bool browser_level, const char *method, json_t *params, int timeout_ms);

/* Waits at most @timeout_ms for an event @method; whether it came. */
bool cdp_wait_event(struct cdp *c, const char *method, int timeout_ms);

/* Evaluates @expr in the page; its value (new reference, by value) or NULL. */
json_t *cdp_eval(struct cdp *c, const char *expr);

/* Decodes base64 @in into a malloc'ed buffer of *@len bytes; NULL on bad input. */
unsigned char *cdp_base64(const char *in, size_t *len);

#endif /* RHOOK_TESTS_CDP_H */
