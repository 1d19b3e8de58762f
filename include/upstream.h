/*
 * upstream.h: libcurl multi driven by the worker's libevent loop
 * (upstream.c).
 *
 * One multi handle per worker keeps the connection pool to every upstream.
 * Easy handles are pooled too.  Callbacks into the request never run inside
 * a curl call that the request itself made, and up_done is called from the
 * loop, outside any curl callback, so it may reply and finish the request.
 */
#ifndef UPSTREAM_H
#define UPSTREAM_H

#include <stddef.h>

#include "llmux.h"

struct event_base;
struct curl_slist;

struct up_ops {
	/* The status line arrived (and, through header, each header). */
	void	(*header)(struct req *, const char *line, size_t len);
	/*
	 * Body bytes; return 0 to go on, -1 to abort the transfer, 1 to
	 * refuse them for now: the transfer pauses and the same bytes come
	 * again a little later.
	 */
	int	(*data)(struct req *, const char *p, size_t n);
	/*
	 * Transfer over; code is a CURLcode (0 ok), status the last HTTP
	 * status (0: none), msg curl's text.  The call has gone back to the
	 * pool: the request must forget its up_call pointer.
	 */
	void	(*done)(struct req *, int code, long status, const char *msg);
};

struct up_call;

int	up_init(struct event_base *) LX_MUSTCHECK;
void	up_fini(void);
/*
 * Start a POST of body to url for r.  timeout_ms bounds the whole call
 * (0: none); idle_ms ends a transfer that receives nothing for that long
 * (0: none) as a timeout (CURLE_OPERATION_TIMEDOUT).  The body must stay
 * valid until done or up_abort().
 */
struct up_call *up_start(struct req *r, const struct up_ops *ops,
	    const char *url, const struct curl_slist *hdrs, const char *body,
	    size_t blen, long timeout_ms, long idle_ms);
/* Abort a call; its done callback is not called. */
void	up_abort(struct up_call *);
/* HTTP status of the call so far (0 before the status line). */
long	up_status(struct up_call *);
/*
 * This worker's upstream counters, all in one place for /metrics to read
 * (the worker's exit line reads them until it lands).
 */
struct up_stats {
	unsigned	 active;	/* transfers in progress */
};
const struct up_stats *up_stats(void);

#endif
