/*
 * stream.h: Server-Sent Events reassembly (stream.c).
 *
 * Upstream bytes arrive split anywhere; strm_feed() cuts them into events
 * (terminated by a blank line) and hands each event's data to a callback.
 * The buffer is owned by the struct and reused; nothing is allocated per
 * event once it has grown to the largest event seen.
 */
#ifndef STREAM_H
#define STREAM_H

#include <stddef.h>

#include "llmux.h"

#define STRM_MAXEVENT	(8 * 1024 * 1024)	/* one event's cap */

struct strm {
	char	*buf;		/* pending bytes of an incomplete event */
	size_t	 len, cap;
	size_t	 scan;		/* bytes already searched for the boundary */
	int	 done;		/* "data: [DONE]" seen */
	unsigned events;	/* events delivered */
};

/*
 * Called with one event's data field (data: lines joined by '\n', without
 * the "data:" prefixes); comment-only and empty events are skipped.
 * Return LX_OK to go on, LX_ERR to stop.
 */
typedef int	strm_event_fn(void *arg, const char *data, size_t len);

void	strm_init(struct strm *);
void	strm_free(struct strm *);
/* Feed bytes; LX_ERR if the callback stopped or an event is too large. */
int	strm_feed(struct strm *, const char *p, size_t n, strm_event_fn *,
	    void *arg) LX_MUSTCHECK;

#endif
