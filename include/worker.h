/*
 * worker.h: one worker process (worker.c): an event_base with evhttp for
 * clients and libcurl multi for upstreams, on the listening socket the
 * master handed down.
 */
#ifndef WORKER_H
#define WORKER_H

#include <stdint.h>
#include <sys/queue.h>

#include "llmux.h"
#include "arena.h"

struct event_base;
struct event;
struct evhttp;
struct evhttp_bound_socket;
struct rt_table;

TAILQ_HEAD(req_list, req);

struct wrk {
	struct event_base	*base;
	const struct cfg	*cfg;
	struct arena		 ar;		/* per-generation worker data */
	struct rt_table		*rt;
	struct evhttp		*http;
	struct evhttp_bound_socket *bound;
	struct req_list		 inflight;
	unsigned		 ninflight;
	struct req		**freeq;	/* finished, freed after the pass */
	size_t			 nfree, capfree;
	struct event		*reaper;
	struct event		*drain_timer;
	struct event		*ctl;		/* reads ctlfd */
	int			 ctlfd;		/* socketpair to the master */
	int			 draining;
	uint64_t		 rng[2];
	unsigned long		 requests;
	unsigned long		 errors_4xx, errors_5xx;
};

/*
 * Run a worker on listening socket lfd until it has drained; never
 * returns.  ctlfd carries framed messages (master.h) both ways: READY
 * to the master; its EOF means the master is gone.  pslot is the
 * worker's process-table entry: its in-flight counts in the shared state
 * are kept under it, and the master clears them when the worker dies.
 */
void	wrk_main(const struct cfg *, int lfd, int ctlfd, unsigned gen,
	    unsigned pslot) LX_NORETURN;
/* A 64-bit random number (xorshift128+, seeded from getrandom). */
uint64_t wrk_random(struct wrk *);
const struct rt_table *wrk_routes(struct wrk *);
void	wrk_count_error(struct wrk *, int status);
/* Track r as in flight / queue it to be freed after this loop pass. */
void	wrk_track(struct wrk *, struct req *);
void	wrk_defer_free(struct wrk *, struct req *);
/* Draining: exit the loop if no request and no connection is left. */
void	wrk_maybe_done(struct wrk *);

#endif
