/*
 * worker.c: one worker process.
 *
 * Life cycle: the master forks us with the listening socket and a
 * socketpair; we build the event loop, evhttp and the curl multi handle,
 * send MST_MSG_READY on the socketpair and serve.  SIGTERM, or the master
 * going away (EOF on the socketpair, or PR_SET_PDEATHSIG), starts a drain:
 * stop accepting, let requests in flight finish up to drain_timeout, then
 * end those still running with an error (an SSE error event on a stream)
 * and exit.  SIGINT exits at once; SIGUSR1 reopens the log file.
 *
 * Finished requests are freed here, after the loop pass that finished
 * them (a zero-timeout event), never inside the evhttp or curl callback
 * that may still hold them.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/random.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "cfg.h"
#include "err.h"
#include "listen.h"
#include "log.h"
#include "master.h"
#include "req.h"
#include "route.h"
#include "state.h"
#include "upstream.h"
#include "worker.h"

static struct wrk	 wrk_self;

uint64_t
wrk_random(struct wrk *w)
{
	uint64_t	s1 = w->rng[0];
	const uint64_t	s0 = w->rng[1];

	w->rng[0] = s0;
	s1 ^= s1 << 23;
	w->rng[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
	return (w->rng[1] + s0);
}

const struct rt_table *
wrk_routes(struct wrk *w)
{
	return (w->rt);
}

void
wrk_count_error(struct wrk *w, int status)
{
	if (status >= 500)
		w->errors_5xx++;
	else
		w->errors_4xx++;
}

void
wrk_track(struct wrk *w, struct req *r)
{
	TAILQ_INSERT_TAIL(&w->inflight, r, entry);
	w->ninflight++;
}

/*
 * A draining worker exits once nothing is in flight and every client
 * connection is closed: one it accepted may carry a request that is on
 * its way, and an exit would reset it (lsn_stop closes the rest).
 */
void
wrk_maybe_done(struct wrk *w)
{
	if (w->draining && w->ninflight == 0 && lsn_connections() == 0)
		event_base_loopexit(w->base, NULL);
}

static void
wrk_reap(evutil_socket_t fd, short what, void *arg)
{
	struct wrk	*w = arg;
	size_t		 i;

	for (i = 0; i < w->nfree; i++)
		req_free(w->freeq[i]);
	w->nfree = 0;
	wrk_maybe_done(w);
}

void
wrk_defer_free(struct wrk *w, struct req *r)
{
	struct req	**n;
	struct timeval	  tv = { 0, 0 };

	TAILQ_REMOVE(&w->inflight, r, entry);
	w->ninflight--;
	if (w->nfree == w->capfree) {
		size_t cap = w->capfree ? w->capfree * 2 : 64;

		if ((n = realloc(w->freeq, cap * sizeof(*n))) == NULL) {
			/* Leak rather than free under a live callback. */
			log_err("out of memory queueing a request to free");
			return;
		}
		w->freeq = n;
		w->capfree = cap;
	}
	w->freeq[w->nfree++] = r;
	if (w->nfree == 1)
		event_add(w->reaper, &tv);
}

static void
wrk_drain(struct wrk *w, const char *why)
{
	struct timeval	tv;

	if (w->draining)
		return;
	w->draining = 1;
	log_info("draining (%s), %u requests in flight, %ld connections",
	    why, w->ninflight, lsn_connections());
	lsn_stop(w);
	tv.tv_sec = (time_t)w->cfg->llmux.drain_timeout;
	tv.tv_usec = 0;
	evtimer_add(w->drain_timer, &tv);
	wrk_maybe_done(w);
}

/*
 * The drain deadline: every request still in flight gets an error, so a
 * stream ends with an SSE error event rather than a bare close.  The loop
 * runs a moment longer to write them out.
 */
static void
wrk_drain_expired(evutil_socket_t fd, short what, void *arg)
{
	struct wrk	*w = arg;
	struct timeval	 flush = { 0, 500000 };

	log_warn("drain deadline passed with %u requests in flight",
	    w->ninflight);
	/* err_reply() finishes r, which takes it off the list. */
	while (!TAILQ_EMPTY(&w->inflight))
		err_reply(TAILQ_FIRST(&w->inflight), 503, "service_unavailable",
		    NULL, "llmux is shutting down: the drain deadline of "
		    "%g s passed", w->cfg->llmux.drain_timeout);
	event_base_loopexit(w->base, &flush);
}

static void
wrk_signal(evutil_socket_t sig, short what, void *arg)
{
	struct wrk	*w = arg;

	if (sig == SIGTERM)
		wrk_drain(w, "SIGTERM");
	else if (sig == SIGINT)
		event_base_loopbreak(w->base);
	else if (sig == SIGUSR1) {
		if (log_reopen(NULL) != LX_OK)
			log_err("SIGUSR1: cannot reopen the log file: %s",
			    strerror(errno));
		else
			log_debug("SIGUSR1: log file reopened");
	}
}

static void
wrk_ctl(evutil_socket_t fd, short what, void *arg)
{
	struct wrk	*w = arg;
	char		 buf[MST_MSG_MAX];
	uint16_t	 type;
	int		 n;

	/* No message from the master needs an answer yet; EOF does. */
	while ((n = mst_msg_recv(fd, &type, buf, sizeof(buf))) > 0 ||
	    (n == 0 && type != 0))
		log_debug("control message %u ignored", (unsigned)type);
	if ((n == 0 && type == 0) || n == LX_ERR) {
		event_del(w->ctl);
		wrk_drain(w, "master gone");
	}
}

/*
 * A drain ends when the last request has finished, but its last bytes
 * (a stream's [DONE] and chunk terminator) may still sit in evhttp's
 * output buffers, which lsn_free() would drop: a short pass of the loop
 * writes them out first.
 */
static void
wrk_flush(struct wrk *w)
{
	struct timeval	tv = { 0, 200000 };

	event_base_loopexit(w->base, &tv);
	event_base_dispatch(w->base);
}

void
wrk_main(const struct cfg *cfg, int lfd, int ctlfd, unsigned gen,
    unsigned pslot)
{
	struct wrk	*w = &wrk_self;
	struct event	*sigterm, *sigint, *sigusr1;
	struct st	*st;
	char		 err[1200];

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	log_set_role("worker");
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);

	memset(w, 0, sizeof(*w));
	w->cfg = cfg;
	w->ctlfd = ctlfd;
	TAILQ_INIT(&w->inflight);
	ar_init(&w->ar, 0);
	if (getrandom(w->rng, sizeof(w->rng), 0) != sizeof(w->rng))
		w->rng[0] = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL;
	w->rng[1] |= 1;

	if ((w->base = event_base_new()) == NULL)
		fatal("worker: cannot create the event loop");
	if (up_init(w->base) != LX_OK)
		fatal("worker: cannot set up libcurl");
	/* Our own handle: an LMDB environment never crosses a fork. */
	if ((st = st_open(cfg->llmux.state_dir != NULL ?
	    cfg->llmux.state_dir : ST_DEFAULT_DIR, pslot, 0, err,
	    sizeof(err))) == NULL)
		fatal("worker: %s", err);
	rt_state_set(st);
	if ((w->rt = rt_table_new(cfg, &w->ar)) == NULL)
		fatal("worker: cannot build the routing table");
	if (lsn_init(w, lfd) != LX_OK)
		fatal("worker: cannot serve the listening socket");
	w->reaper = evtimer_new(w->base, wrk_reap, w);
	w->drain_timer = evtimer_new(w->base, wrk_drain_expired, w);
	sigterm = evsignal_new(w->base, SIGTERM, wrk_signal, w);
	sigint = evsignal_new(w->base, SIGINT, wrk_signal, w);
	sigusr1 = evsignal_new(w->base, SIGUSR1, wrk_signal, w);
	w->ctl = event_new(w->base, ctlfd, EV_READ | EV_PERSIST, wrk_ctl, w);
	if (w->reaper == NULL || w->drain_timer == NULL || sigterm == NULL ||
	    sigint == NULL || sigusr1 == NULL || w->ctl == NULL)
		fatal("worker: out of memory");
	event_add(sigterm, NULL);
	event_add(sigint, NULL);
	event_add(sigusr1, NULL);
	event_add(w->ctl, NULL);
	/* The master may have died between fork and prctl. */
	if (getppid() == 1)
		wrk_drain(w, "master gone");
	if (mst_msg_send(ctlfd, MST_MSG_READY, NULL, 0) != LX_OK)
		log_warn("cannot tell the master we are ready: %s",
		    strerror(errno));
	log_debug("generation %u ready", gen);

	event_base_dispatch(w->base);
	if (w->draining && event_base_got_exit(w->base))
		wrk_flush(w);

	/*
	 * The counters' one reader until /metrics lands: a line per worker
	 * life, so a drain that cut requests shows in the log.
	 */
	log_info("exiting: %lu requests served (%lu answered 4xx, %lu 5xx), "
	    "%u still in flight, %u upstream transfers open", w->requests,
	    w->errors_4xx, w->errors_5xx, w->ninflight, up_stats()->active);

	/* Orderly exit: what is left is freed so leak checkers stay quiet. */
	while (!TAILQ_EMPTY(&w->inflight)) {
		struct req *r = TAILQ_FIRST(&w->inflight);

		req_finish(r);
	}
	wrk_reap(-1, 0, w);
	req_pool_free();
	rt_state_set(NULL);
	st_close(st);
	lsn_free(w);
	rt_table_free(w->rt);
	up_fini();
	event_free(sigterm);
	event_free(sigint);
	event_free(sigusr1);
	event_free(w->ctl);
	event_free(w->reaper);
	event_free(w->drain_timer);
	event_base_free(w->base);
	free(w->freeq);
	ar_free(&w->ar);
	close(ctlfd);
	if (mst_forked_during_parse())
		_exit(0);
	exit(0);
}
