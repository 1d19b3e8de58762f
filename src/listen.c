/*
 * listen.c: the client side of a worker.
 *
 * evhttp parses HTTP; in front of it sits a guard, an evbuffer callback
 * on every client connection's input that sees each byte before evhttp
 * reads it, because evhttp alone cannot enforce what a gateway facing
 * the internet needs:
 *   - an absolute deadline for every request's header block
 *     (llmux_settings.header_timeout) and body (body_timeout), whether the
 *     body has a Content-Length or comes chunked, so a client sending one
 *     byte at a time is dropped; evhttp's own timeout restarts on every
 *     byte;
 *   - one reading of the framing (RFC 9112 section 6): a Content-Length
 *     that is not plain digits, two that differ, one next to
 *     Transfer-Encoding, a transfer coding other than chunked, a bad chunk
 *     size, header folding or a space in a header name is answered 400
 *     with the error JSON and the connection is closed, so evhttp and an
 *     upstream never see a request boundary we did not;
 *   - a body larger than general_settings.max_request_size_mb is answered
 *     413 with LiteLLM's error JSON instead of evhttp's HTML.  With a
 *     Content-Length the guard renames the header in place so that evhttp
 *     dispatches the request without a body and drops the body as it
 *     arrives, so the connection stays usable (unless the client waits
 *     for 100 Continue: then it is closed, as the body may never come);
 *     a chunked body is cut at the chunk that crosses the limit.
 * What the guard decides about a request (its verdict) stays in the guard
 * under the request's number on the connection; the dispatcher picks it
 * up, so no client can forge it with a header.
 *
 * The guard holds a reference on the bufferevent so its timer never
 * touches freed memory.  It lets go as soon as evhttp has freed the
 * connection: an EV_CLOSED event tells it when the client hung up, and a
 * one second tick catches the rest.
 *
 * Routes live in one table (lsn_routes): path with and without /v1,
 * methods, who may call it, handler.  A new route is a row there and a
 * handler in its own module (models.c, health.c).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/keyvalq_struct.h>

#include "auth.h"
#include "cfg.h"
#include "err.h"
#include "hdr.h"
#include "health.h"
#include "json.h"
#include "listen.h"
#include "log.h"
#include "modelinfo.h"
#include "models.h"
#include "req.h"
#include "worker.h"

#define LSN_TOO_LARGE	"X-Llmux-Oversz"	/* as long as Content-Length */
#define LSN_NO_TE	"X-Llmux-Ignore-TE"	/* as long as Transfer-Encoding */
#define LSN_DEFAULT_MAX_BODY	(100LL * 1024 * 1024)

enum lsn_gstate {
	G_HDR,		/* a header block */
	G_BODY,		/* a Content-Length body, for evhttp */
	G_DROP,		/* a Content-Length body over the limit, dropped */
	G_CSIZE,	/* chunked: a chunk-size line */
	G_CDATA,	/* chunked: chunk data */
	G_CEND,		/* chunked: the line end after the data */
	G_CTRAIL,	/* chunked: trailer lines */
	G_DEAD		/* refused: every further byte is dropped */
};

#define LSN_TICK	1.0	/* s between checks of a connection */
#define LSN_HDR_PIECE	4096	/* header bytes copied at a time */
#define LSN_LINE_MAX	4096	/* a chunk-size or trailer line */
#define LSN_NVERDICT	4	/* verdicts waiting for their dispatch */
#define LSN_IDLE	1.0	/* s without a byte before a draining close */
#define LSN_BACKOFF	0.1	/* s without accepting after accept() failed */
#define LSN_BACKOFF_LOG	10.0	/* s between two messages about it */

/* What the guard decided about request number seq on its connection. */
struct lsn_verdict {
	unsigned	 seq;		/* 0: slot free */
	int		 status;	/* answer this error at once */
	int		 close;		/* with Connection: close */
	long long	 oversz;	/* the Content-Length over the limit */
	const char	*msg;		/* static text */
};

struct lsn_guard {
	struct wrk		*w;
	struct bufferevent	*bev;
	struct event		*timer;
	struct event		*closed;	/* EV_CLOSED on the socket */
	int			 fd;		/* -1 until evhttp set it */
	enum lsn_gstate		 st;
	char			*hdr;		/* copy of the header block */
	size_t			 hlen, hcap;
	long long		 remain;	/* body or chunk bytes to go */
	long long		 total;		/* chunked: body bytes so far */
	long long		 csize;		/* chunked: size being read */
	size_t			 llen;		/* bytes of the current line */
	int			 lstate;	/* where in that line */
	int			 ndig;		/* hex digits of the size */
	double			 due;		/* deadline; 0: none */
	double			 last;		/* last byte in or answer out */
	unsigned		 nhdr;		/* header blocks seen */
	unsigned		 ndisp;		/* requests dispatched */
	unsigned		 ndone;		/* answers sent in full */
	struct lsn_verdict	 v[LSN_NVERDICT];
	int			 busy;		/* our own edit of the buffer */
	int			 killed;	/* we asked evhttp to close */
	LIST_ENTRY(lsn_guard)	 link;
};

/* Every guard of this worker, so that an exit frees them all. */
static LIST_HEAD(, lsn_guard)	lsn_guards = LIST_HEAD_INITIALIZER(lsn_guards);
static long			lsn_nconns;	/* guards alive */
static int			lsn_paused;	/* accepting is off */
static int			lsn_backoff;	/* accept() failed a moment ago */
static int			lsn_draining;
static struct event		*lsn_backoff_ev;
static double			 lsn_backoff_logged;
static unsigned long		 lsn_backoff_errs;
static struct lsn_guard		**lsn_byfd;	/* guard of each socket */
static size_t			 lsn_nbyfd;
static struct wrk		*lsn_wrk;

static double
lsn_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/*
 * Accepting is on unless llmux_settings.max_connections is reached (the
 * connections wait in the shared backlog, where another worker may take
 * them), accept() failed a moment ago (out of descriptors: trying again at
 * once would spin), or the worker drains.
 */
static void
lsn_accepting(void)
{
	struct evconnlistener	*l;
	long			 max = lsn_wrk->cfg->llmux.max_connections;
	int			 want;

	if (lsn_wrk->bound == NULL ||
	    (l = evhttp_bound_socket_get_listener(lsn_wrk->bound)) == NULL)
		return;
	want = !lsn_backoff && !lsn_draining &&
	    (max <= 0 || lsn_nconns < max);
	if (want && lsn_paused) {
		evconnlistener_enable(l);
		lsn_paused = 0;
	} else if (!want && !lsn_paused) {
		evconnlistener_disable(l);
		lsn_paused = 1;
	}
}

static void
lsn_backoff_end(evutil_socket_t fd, short what, void *arg)
{
	lsn_backoff = 0;
	lsn_accepting();
}

/*
 * accept() failed for another reason than a lost race: usually EMFILE.
 * Stop accepting for a moment instead of retrying in a busy loop (the
 * pending connection keeps the socket readable), and say so once per
 * interval, not once per attempt.
 */
static void
lsn_accept_error(struct evconnlistener *l, void *arg)
{
	struct timeval	tv = { 0, (suseconds_t)(LSN_BACKOFF * 1e6) };
	int		e = EVUTIL_SOCKET_ERROR();
	double		now = lsn_now();

	lsn_backoff_errs++;
	if (now - lsn_backoff_logged >= LSN_BACKOFF_LOG) {
		log_warn("accept: %s: not accepting for %.1f s "
		    "(%lu failures since the last message)", strerror(e),
		    LSN_BACKOFF, lsn_backoff_errs);
		lsn_backoff_logged = now;
		lsn_backoff_errs = 0;
	}
	lsn_backoff = 1;
	lsn_accepting();
	evtimer_add(lsn_backoff_ev, &tv);
}

static long long
lsn_max_body(const struct cfg *c)
{
	if (c->general.max_request_size_mb > 0)
		return ((long long)(c->general.max_request_size_mb *
		    1024 * 1024));
	return (LSN_DEFAULT_MAX_BODY);
}

/* --- the guard ------------------------------------------------------ */

static void
lsn_guard_rearm(struct lsn_guard *g)
{
	struct timeval	tv;
	double		secs = LSN_TICK;

	if (g->due > 0 && g->due - lsn_now() < secs)
		secs = g->due - lsn_now();
	if (secs < 0)
		secs = 0;
	tv.tv_sec = (time_t)secs;
	tv.tv_usec = (suseconds_t)((secs - (double)tv.tv_sec) * 1e6);
	evtimer_add(g->timer, &tv);
}

/* A deadline secs from now (0: none). */
static void
lsn_guard_due(struct lsn_guard *g, double secs)
{
	g->due = secs > 0 ? lsn_now() + secs : 0;
	lsn_guard_rearm(g);
}

static void
lsn_guard_free(struct lsn_guard *g)
{
	LIST_REMOVE(g, link);
	lsn_nconns--;
	if (g->fd >= 0 && (size_t)g->fd < lsn_nbyfd && lsn_byfd[g->fd] == g)
		lsn_byfd[g->fd] = NULL;
	event_free(g->timer);
	if (g->closed != NULL)
		event_free(g->closed);
	free(g->hdr);
	bufferevent_decref(g->bev);	/* closes the socket if ours last */
	free(g);
	lsn_accepting();
	if (lsn_draining)
		wrk_maybe_done(lsn_wrk);
}

/* evhttp closes the connection as for its own read timeout or EOF. */
static void
lsn_guard_kill(struct lsn_guard *g, short what)
{
	g->killed = 1;
	g->st = G_DEAD;
	g->due = 0;
	bufferevent_trigger_event(g->bev, BEV_EVENT_READING | what,
	    BEV_TRIG_DEFER_CALLBACKS);
}

static int
lsn_guard_idle(struct lsn_guard *g)
{
	return (g->st == G_HDR && g->hlen == 0 && g->ndisp == g->ndone &&
	    evbuffer_get_length(bufferevent_get_input(g->bev)) == 0);
}

static void
lsn_guard_timer(evutil_socket_t fd, short what, void *arg)
{
	struct lsn_guard	*g = arg;
	bufferevent_data_cb	 rd, wr;
	bufferevent_event_cb	 ev;
	void			*cbarg;
	double			 now = lsn_now();

	bufferevent_getcb(g->bev, &rd, &wr, &ev, &cbarg);
	if (ev == NULL) {
		/* evhttp has freed the connection. */
		lsn_guard_free(g);
		return;
	}
	if (g->killed) {
		/* Asked already: evhttp frees it, the next tick sees it. */
	} else if (g->due > 0 && now >= g->due) {
		log_debug("client too slow sending its request: closing");
		lsn_guard_kill(g, BEV_EVENT_TIMEOUT);
	} else if (lsn_draining && lsn_guard_idle(g) &&
	    now - g->last >= LSN_IDLE) {
		/*
		 * A draining worker answers the next request on a kept-alive
		 * connection with Connection: close; one that stayed quiet
		 * for a while is closed here instead.
		 */
		lsn_guard_kill(g, BEV_EVENT_EOF);
	}
	lsn_guard_rearm(g);
}

/* The client hung up: look whether evhttp let go, in the next pass. */
static void
lsn_guard_closed(evutil_socket_t fd, short what, void *arg)
{
	struct lsn_guard	*g = arg;
	struct timeval		 tv = { 0, 0 };

	evtimer_add(g->timer, &tv);
}

/* evhttp sets the socket after lsn_bevcb: register it on first sight. */
static void
lsn_guard_setup(struct lsn_guard *g)
{
	struct lsn_guard	**n;
	size_t			  cap;
	int			  on = 1, fd;

	if (g->fd >= 0 || (fd = bufferevent_getfd(g->bev)) < 0)
		return;
	g->fd = fd;
	if ((size_t)fd >= lsn_nbyfd) {
		for (cap = lsn_nbyfd ? lsn_nbyfd : 256; cap <= (size_t)fd;
		    cap *= 2)
			;
		if ((n = realloc(lsn_byfd, cap * sizeof(*n))) != NULL) {
			memset(n + lsn_nbyfd, 0,
			    (cap - lsn_nbyfd) * sizeof(*n));
			lsn_byfd = n;
			lsn_nbyfd = cap;
		}
	}
	if ((size_t)fd < lsn_nbyfd)
		lsn_byfd[fd] = g;
	/*
	 * Stream chunks are small writes: without this, Nagle holds each
	 * behind the client's delayed ACK, tens of ms a chunk.
	 */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	g->closed = event_new(bufferevent_get_base(g->bev), fd, EV_CLOSED,
	    lsn_guard_closed, g);
	if (g->closed != NULL)
		event_add(g->closed, NULL);
}

static struct lsn_verdict *
lsn_guard_verdict(struct lsn_guard *g)
{
	size_t	i;

	for (i = 0; i < LSN_NVERDICT; i++)
		if (g->v[i].seq == 0 || g->v[i].seq <= g->ndisp) {
			memset(&g->v[i], 0, sizeof(g->v[i]));
			g->v[i].seq = g->nhdr;
			return (&g->v[i]);
		}
	return (NULL);
}

/* Remove n bytes at off of buf, keeping what is around them. */
static void
lsn_guard_cut(struct lsn_guard *g, struct evbuffer *buf, size_t off,
    size_t n)
{
	struct evbuffer	*keep;

	g->busy = 1;
	if (off == 0)
		evbuffer_drain(buf, n);
	else if ((keep = evbuffer_new()) != NULL) {
		evbuffer_remove_buffer(buf, keep, off);
		evbuffer_drain(buf, n);
		evbuffer_prepend_buffer(buf, keep);
		evbuffer_free(keep);
	}
	g->busy = 0;
}

/* Overwrite the byte at off of buf with c. */
static void
lsn_guard_poke(struct evbuffer *buf, size_t off, char c)
{
	struct evbuffer_ptr	p;
	struct evbuffer_iovec	v;

	if (evbuffer_ptr_set(buf, &p, off, EVBUFFER_PTR_SET) == 0 &&
	    evbuffer_peek(buf, 1, &p, &v, 1) >= 1 && v.iov_len > 0)
		*(char *)v.iov_base = c;
}

/*
 * Hide the body of the header block at the front of buf from evhttp:
 * rename its Content-Length and Transfer-Encoding headers (same length,
 * so in place) and drop `drop' bytes after the block.  Only possible
 * while evhttp has not consumed any of the header lines.
 */
static int
lsn_guard_hide_body(struct lsn_guard *g, struct evbuffer *buf, size_t drop)
{
	char	*h, *l, *e, *copy;
	size_t	 total = evbuffer_get_length(buf);

	if (total < g->hlen ||
	    (h = (char *)evbuffer_pullup(buf, (ev_ssize_t)g->hlen)) == NULL ||
	    memcmp(h, g->hdr, g->hlen) != 0)
		return (LX_ERR);
	for (l = g->hdr; l < g->hdr + g->hlen; l = e + 1) {
		if ((e = memchr(l, '\n', g->hlen - (size_t)(l - g->hdr))) ==
		    NULL)
			break;
		if (strncasecmp(l, "content-length:", 15) == 0)
			memcpy(l, LSN_TOO_LARGE, 14);
		else if (strncasecmp(l, "transfer-encoding:", 18) == 0)
			memcpy(l, LSN_NO_TE, 17);
	}
	if (drop > total - g->hlen)
		drop = total - g->hlen;
	if ((copy = malloc(g->hlen)) == NULL)
		return (LX_ERR);
	memcpy(copy, g->hdr, g->hlen);
	g->busy = 1;
	evbuffer_drain(buf, g->hlen + drop);
	evbuffer_prepend(buf, copy, g->hlen);
	g->busy = 0;
	free(copy);
	return (LX_OK);
}

/* Refuse the request whose header block is in front of buf. */
static void
lsn_guard_refuse_header(struct lsn_guard *g, struct evbuffer *buf,
    int status, const char *why)
{
	struct lsn_verdict	*v;

	g->st = G_DEAD;
	g->due = 0;
	if ((v = lsn_guard_verdict(g)) == NULL ||
	    lsn_guard_hide_body(g, buf, evbuffer_get_length(buf)) != LX_OK) {
		log_debug("refusing a request (%s): closing", why);
		lsn_guard_kill(g, BEV_EVENT_EOF);
		return;
	}
	v->status = status;
	v->close = 1;
	v->msg = why;
}

static void
lsn_guard_body_done(struct lsn_guard *g)
{
	g->st = G_HDR;
	g->hlen = 0;
	lsn_guard_due(g, 0);
}

/* A header block is complete.  Returns 1 when it was rewritten. */
static int
lsn_guard_header(struct lsn_guard *g, struct evbuffer *buf)
{
	const struct cfg	*c = g->w->cfg;
	struct hdr_info	 hi;
	struct lsn_verdict	*v;
	size_t			 here;

	g->nhdr++;
	lsn_guard_due(g, 0);
	if (hdr_parse(g->hdr, g->hlen, &hi) != LX_OK) {
		lsn_guard_refuse_header(g, buf, 400, hi.why);
		return (1);
	}
	if (hi.nobody) {
		g->st = G_HDR;
		return (0);
	}
	if (hi.chunked) {
		g->st = G_CSIZE;
		g->total = 0;
		g->llen = 0;
		g->lstate = 0;
		g->ndig = 0;
		g->csize = 0;
		lsn_guard_due(g, c->llmux.body_timeout);
		return (0);
	}
	if (hi.content_length > lsn_max_body(c)) {
		here = evbuffer_get_length(buf) - g->hlen;
		if ((long long)here > hi.content_length)
			here = (size_t)hi.content_length;
		/* The client may wait for 100 Continue and never send it. */
		if (hi.expect_continue)
			here = evbuffer_get_length(buf) - g->hlen;
		if ((v = lsn_guard_verdict(g)) == NULL ||
		    lsn_guard_hide_body(g, buf, here) != LX_OK) {
			lsn_guard_refuse_header(g, buf, 413, "Request size "
			    "is too large");
			return (1);
		}
		v->oversz = hi.content_length;
		if (hi.expect_continue) {
			v->close = 1;
			g->st = G_DEAD;
			return (1);
		}
		g->remain = hi.content_length - (long long)here;
		g->st = g->remain > 0 ? G_DROP : G_HDR;
		if (g->st == G_DROP)
			lsn_guard_due(g, c->llmux.body_timeout);
		return (1);
	}
	g->remain = hi.content_length > 0 ? hi.content_length : 0;
	g->st = g->remain > 0 ? G_BODY : G_HDR;
	if (g->remain > 0)
		lsn_guard_due(g, c->llmux.body_timeout);
	return (0);
}

/*
 * A chunked body goes wrong at the line that starts at lineoff: cut from
 * there, end the body for evhttp so that it dispatches the request, and
 * let the dispatcher answer the verdict.
 */
static void
lsn_guard_refuse_chunk(struct lsn_guard *g, struct evbuffer *buf,
    size_t lineoff, int status, const char *why)
{
	struct lsn_verdict	*v;
	const char		*tail = g->st == G_CTRAIL ? "\r\n" :
				    "\r\n0\r\n\r\n";

	g->st = G_DEAD;
	g->due = 0;
	/* The line's first bytes are gone only if evhttp read it: close. */
	if (lineoff > evbuffer_get_length(buf) ||
	    (v = lsn_guard_verdict(g)) == NULL) {
		lsn_guard_kill(g, BEV_EVENT_EOF);
		return;
	}
	v->status = status;
	v->close = 1;
	v->msg = why;
	lsn_guard_cut(g, buf, lineoff, evbuffer_get_length(buf) - lineoff);
	g->busy = 1;
	evbuffer_add(buf, tail, strlen(tail));
	g->busy = 0;
}

/*
 * Follow a chunked body from *off on (RFC 9112 section 7.1), stricter
 * than evhttp so that it never reads a boundary we did not.  evhttp does
 * not know chunk extensions: the byte after the size becomes a space,
 * which it skips.
 */
static void
lsn_guard_chunk(struct lsn_guard *g, struct evbuffer *buf, size_t *off)
{
	const struct cfg	*c = g->w->cfg;
	char			 tmp[256];
	size_t			 n, i, lineoff;
	int			 ch, d;

	/* A line started in an earlier callback ends the buffer's past. */
	lineoff = g->llen <= *off ? *off - g->llen : (size_t)-1;
	if (g->st == G_CDATA) {
		n = evbuffer_get_length(buf) - *off;
		if ((long long)n > g->remain)
			n = (size_t)g->remain;
		*off += n;
		if ((g->remain -= (long long)n) == 0) {
			g->st = G_CEND;
			g->llen = 0;
			g->lstate = 0;
		}
		return;
	}
	n = evbuffer_get_length(buf) - *off;
	if (n > sizeof(tmp))
		n = sizeof(tmp);
	{
		struct evbuffer_ptr	pos;

		evbuffer_ptr_set(buf, &pos, *off, EVBUFFER_PTR_SET);
		if (evbuffer_copyout_from(buf, &pos, tmp, n) < 0)
			return;
	}
	for (i = 0; i < n; i++) {
		ch = (unsigned char)tmp[i];
		if (++g->llen > LSN_LINE_MAX)
			goto bad;
		if (g->st == G_CEND) {
			if (ch == '\r' && g->lstate == 0)
				g->lstate = 1;
			else if (ch == '\n') {
				g->st = G_CSIZE;
				g->llen = 0;
				g->lstate = 0;
				g->ndig = 0;
				g->csize = 0;
				lineoff = *off + i + 1;
			} else
				goto bad;
		} else if (g->st == G_CTRAIL) {
			/* lstate: the byte before, for a CR LF blank line */
			if (ch == '\n' && (g->llen == 1 || (g->llen == 2 &&
			    g->lstate == '\r'))) {
				*off += i + 1;
				lsn_guard_body_done(g);
				return;
			}
			if (ch == '\n') {
				g->llen = 0;
				lineoff = *off + i + 1;
			}
			g->lstate = ch;
		} else if (g->lstate == 0 && (d = js_hexval(ch)) >= 0) {
			if (++g->ndig > 15)
				goto bad;
			g->csize = g->csize * 16 + d;
		} else if (g->lstate == 0 && g->ndig > 0 &&
		    (ch == ';' || ch == ' ' || ch == '\t')) {
			g->lstate = 1;
			if (ch != ' ')
				lsn_guard_poke(buf, *off + i, ' ');
		} else if (g->lstate == 0 && g->ndig > 0 && ch == '\r')
			g->lstate = 2;
		else if (g->lstate == 1 && ch != '\n')
			continue;
		else if (ch == '\n' && g->ndig > 0) {
			/* The size line is complete. */
			g->total += g->csize;
			if (g->total > lsn_max_body(c)) {
				lsn_guard_refuse_chunk(g, buf, lineoff, 413,
				    "Request size is too large");
				*off = evbuffer_get_length(buf);
				return;
			}
			*off += i + 1;
			g->llen = 0;
			g->lstate = 0;
			if (g->csize == 0)
				g->st = G_CTRAIL;
			else {
				g->st = G_CDATA;
				g->remain = g->csize;
			}
			return;
		} else
			goto bad;
	}
	*off += n;
	return;
 bad:
	lsn_guard_refuse_chunk(g, buf, lineoff, 400,
	    "invalid chunked request body");
	*off = evbuffer_get_length(buf);
}

/*
 * libevent 2.1 reads at most 4 KiB per readiness event, so a 2 MB prompt
 * would take 500 loop passes, each with its own ioctl and read.  While a
 * body is due, read it here in large pieces, never past its end (the
 * next request's bytes stay in the socket for the usual path).  EAGAIN,
 * EOF and errors are left for libevent to find on its next read.
 */
static void
lsn_guard_slurp(struct lsn_guard *g, struct evbuffer *buf)
{
	char		tmp[64 * 1024];
	ssize_t		n;
	size_t		want;

	while (g->fd >= 0 && g->remain > 0 &&
	    (g->st == G_BODY || g->st == G_DROP)) {
		want = g->remain < (long long)sizeof(tmp) ?
		    (size_t)g->remain : sizeof(tmp);
		if ((n = read(g->fd, tmp, want)) <= 0)
			break;
		if (g->st == G_BODY) {
			g->busy = 1;
			evbuffer_add(buf, tmp, (size_t)n);
			g->busy = 0;
		}
		g->remain -= n;
		if (g->remain == 0)
			lsn_guard_body_done(g);
		if ((size_t)n < want)
			break;		/* the socket is empty for now */
	}
}

/* The blank line ending a header block: LF then LF or CR LF. */
static char *
lsn_hdr_end(char *p, size_t n)
{
	char	*e = p + n, *l;

	for (l = p; (l = memchr(l, '\n', (size_t)(e - l))) != NULL; l++) {
		if (l + 1 < e && l[1] == '\n')
			return (l + 2);
		if (l + 2 < e && l[1] == '\r' && l[2] == '\n')
			return (l + 3);
	}
	return (NULL);
}

/* Header bytes at *off: copy them; act once the block is complete. */
static void
lsn_guard_hdr(struct lsn_guard *g, struct evbuffer *buf, size_t *off)
{
	const struct cfg	*c = g->w->cfg;
	struct evbuffer_ptr	 pos;
	size_t			 n = evbuffer_get_length(buf) - *off, i;
	char			*nh, *end;

	if (g->hlen == 0 && g->due == 0)
		lsn_guard_due(g, c->llmux.header_timeout);
	if (n > LSN_HDR_PIECE)
		n = LSN_HDR_PIECE;
	if (g->hlen + n > g->hcap) {
		size_t cap = g->hcap ? g->hcap : 1024;

		while (cap < g->hlen + n)
			cap *= 2;
		if (cap > (size_t)c->llmux.max_header_size + LSN_HDR_PIECE ||
		    (nh = realloc(g->hdr, cap)) == NULL) {
			/*
			 * evhttp answers headers too large when it reads
			 * these bytes; the close comes after it.
			 */
			*off = evbuffer_get_length(buf);
			lsn_guard_kill(g, BEV_EVENT_EOF);
			return;
		}
		g->hdr = nh;
		g->hcap = cap;
	}
	evbuffer_ptr_set(buf, &pos, *off, EVBUFFER_PTR_SET);
	if (evbuffer_copyout_from(buf, &pos, g->hdr + g->hlen, n) < 0) {
		*off = evbuffer_get_length(buf);
		return;
	}
	/* The blank line may straddle the previous piece. */
	i = g->hlen > 2 ? g->hlen - 2 : 0;
	if ((end = lsn_hdr_end(g->hdr + i, g->hlen + n - i)) == NULL) {
		g->hlen += n;
		*off += n;
		return;
	}
	i = (size_t)(end - g->hdr) - g->hlen;
	g->hlen += i;
	*off += i;
	/* A rewritten header block is back at the front. */
	if (lsn_guard_header(g, buf))
		*off = g->st == G_DEAD ? evbuffer_get_length(buf) : g->hlen;
	g->hlen = 0;
}

static void
lsn_guard_in(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct lsn_guard	*g = arg;
	size_t			 off, n;

	if (g->busy || info->n_added == 0)
		return;
	lsn_guard_setup(g);
	g->last = lsn_now();
	/* The new bytes are the last n_added of the buffer. */
	off = evbuffer_get_length(buf) - info->n_added;
	while (off < evbuffer_get_length(buf)) {
		n = evbuffer_get_length(buf) - off;
		switch (g->st) {
		case G_DEAD:
			lsn_guard_cut(g, buf, off, n);
			return;
		case G_BODY:
			if ((long long)n > g->remain)
				n = (size_t)g->remain;
			off += n;
			if ((g->remain -= (long long)n) == 0)
				lsn_guard_body_done(g);
			break;
		case G_DROP:
			if ((long long)n > g->remain)
				n = (size_t)g->remain;
			lsn_guard_cut(g, buf, off, n);
			if ((g->remain -= (long long)n) == 0)
				lsn_guard_body_done(g);
			break;
		case G_HDR:
			lsn_guard_hdr(g, buf, &off);
			break;
		case G_CSIZE:
		case G_CDATA:
		case G_CEND:
		case G_CTRAIL:
			lsn_guard_chunk(g, buf, &off);
			break;
		}
	}
	lsn_guard_slurp(g, buf);
}

static struct bufferevent *
lsn_bevcb(struct event_base *base, void *arg)
{
	struct wrk		*w = arg;
	struct bufferevent	*bev;
	struct lsn_guard	*g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return (NULL);
	g->w = w;
	g->fd = -1;
	if ((g->timer = evtimer_new(base, lsn_guard_timer, g)) == NULL ||
	    (bev = bufferevent_socket_new(base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		if (g->timer != NULL)
			event_free(g->timer);
		free(g);
		return (NULL);
	}
	g->bev = bev;
	g->last = lsn_now();
	LIST_INSERT_HEAD(&lsn_guards, g, link);
	lsn_nconns++;
	lsn_accepting();
	bufferevent_incref(bev);
	evbuffer_add_cb(bufferevent_get_input(bev), lsn_guard_in, g);
	/* The first request's headers are due from the accept on. */
	lsn_guard_due(g, w->cfg->llmux.header_timeout);
	return (bev);
}

static struct lsn_guard *
lsn_guard_of(struct evhttp_request *ev)
{
	struct evhttp_connection	*c = evhttp_request_get_connection(ev);
	struct bufferevent		*bev;
	int				 fd;

	if (c == NULL || (bev = evhttp_connection_get_bufferevent(c)) ==
	    NULL || (fd = bufferevent_getfd(bev)) < 0 ||
	    (size_t)fd >= lsn_nbyfd || lsn_byfd[fd] == NULL ||
	    lsn_byfd[fd]->bev != bev)
		return (NULL);
	return (lsn_byfd[fd]);
}

/* evhttp wrote the whole answer: the connection may be idle now. */
static void
lsn_req_done(struct evhttp_request *ev, void *arg)
{
	struct lsn_guard	*g = arg;

	g->ndone++;
	g->last = lsn_now();
}

long
lsn_connections(void)
{
	return (lsn_nconns);
}

/* --- routes --------------------------------------------------------- */

static int
lsn_sane_id(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++, n++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' &&
		    *s != '.' && *s != ':')
			return (0);
	return (n > 0 && n < REQ_IDLEN);
}

static struct req *
lsn_req_new(struct wrk *w, struct evhttp_request *ev, const char *route)
{
	struct req		*r;
	struct evkeyvalq	*h = evhttp_request_get_input_headers(ev);
	const char		*id;
	uint64_t		 a, b;

	if ((r = req_alloc(w)) == NULL)
		return (NULL);
	r->w = w;
	r->cfg = w->cfg;
	r->ev = ev;
	r->route = route;
	r->t0 = req_now();
	if (((id = evhttp_find_header(h, "x-litellm-call-id")) != NULL ||
	    (id = evhttp_find_header(h, "x-request-id")) != NULL) &&
	    lsn_sane_id(id))
		snprintf(r->id, sizeof(r->id), "%s", id);
	else {
		a = wrk_random(w);
		b = wrk_random(w);
		/* A version 4 UUID. */
		snprintf(r->id, sizeof(r->id),
		    "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
		    (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
		    (unsigned)((b >> 48) & 0x3fff) | 0x8000,
		    (unsigned long long)(b & 0xffffffffffffULL));
	}
	wrk_track(w, r);
	req_watch_client(r);
	return (r);
}

/*
 * The parse stage of a chat request: index the body once and pick out
 * what routing needs.  It runs after auth, as in LiteLLM, so a caller
 * without a key learns nothing about the body.
 */
int
lsn_parse_chat(struct req *r)
{
	struct evbuffer		*in = evhttp_request_get_input_buffer(r->ev);
	struct evkeyvalq	*h = evhttp_request_get_input_headers(r->ev);
	const struct js_mem	*m;
	struct js_mem		 so[8];
	const char		*v, *route = r->route;
	char			*e;
	size_t			 n, nall, errpos;
	double			 d;

	if ((v = evhttp_find_header(h, LSN_TOO_LARGE)) != NULL) {
		err_reply(r, 413, "invalid_request_error", NULL,
		    "Request size is too large. Request size is %.2f MB. "
		    "Max size is %.2f MB", atof(v) / (1024 * 1024),
		    (double)lsn_max_body(r->cfg) / (1024 * 1024));
		return (LX_ERR);
	}
	r->blen = evbuffer_get_length(in);
	r->body = r->blen > 0 ? (const char *)evbuffer_pullup(in, -1) : "{}";
	if (r->blen == 0)
		r->blen = 2;
	if (js_object(r->body, r->blen, r->mem, REQ_MAXMEM, &r->nmem, &nall,
	    &errpos) != LX_OK) {
		err_reply(r, 400, "invalid_request_error", NULL,
		    "%s: the request body is not a valid JSON object (at byte "
		    "%zu)", route, errpos);
		return (LX_ERR);
	}
	if (nall > REQ_MAXMEM) {
		err_reply(r, 400, "invalid_request_error", NULL,
		    "%s: too many fields in the request body (%zu, at most "
		    "%d)", route, nall, REQ_MAXMEM);
		return (LX_ERR);
	}
	if (r->path_model != NULL)
		r->model = r->path_model;
	else if ((m = js_find(r->mem, r->nmem, "model")) != NULL &&
	    m->type == JS_STR)
		r->model = js_string(&r->ar, m->val, m->vlen);
	if (r->model == NULL || *r->model == '\0') {
		if (r->cfg->general.completion_model == NULL) {
			err_reply(r, 400, "invalid_request_error", "model",
			    "%s: Missing required parameter: 'model'.", route);
			return (LX_ERR);
		}
		r->model = r->cfg->general.completion_model;
	}
	if ((m = js_find(r->mem, r->nmem, "messages")) == NULL ||
	    m->type == JS_NULL) {
		err_reply(r, 400, "invalid_request_error", "messages",
		    "%s: Missing required parameter: 'messages'.", route);
		return (LX_ERR);
	}
	if ((m = js_find(r->mem, r->nmem, "stream")) != NULL)
		r->stream = m->type == JS_TRUE;
	if (r->stream &&
	    (m = js_find(r->mem, r->nmem, "stream_options")) != NULL &&
	    m->type == JS_OBJ && js_object(m->val, m->vlen, so,
	    LX_NELEM(so), &n, NULL, NULL) == LX_OK &&
	    (m = js_find(so, n, "include_usage")) != NULL)
		r->include_usage = m->type == JS_TRUE;
	/* Outside the range curl's milliseconds would mean no timeout. */
	if ((m = js_find(r->mem, r->nmem, "timeout")) != NULL &&
	    js_number(m, &d) == LX_OK)
		v = NULL;
	else if ((v = evhttp_find_header(h, "x-litellm-timeout")) == NULL ||
	    (d = strtod(v, &e), e == v || *e != '\0'))
		return (LX_OK);
	if (!(d >= REQ_TIMEOUT_MIN && d <= REQ_TIMEOUT_MAX)) {
		err_reply(r, 400, "invalid_request_error", "timeout",
		    "%s: timeout must be between %g and %.0f seconds, got %.*s",
		    route, REQ_TIMEOUT_MIN, REQ_TIMEOUT_MAX,
		    v != NULL ? 64 : (int)(m->vlen < 64 ? m->vlen : 64),
		    v != NULL ? v : m->val);
		return (LX_ERR);
	}
	r->req_timeout = d;
	return (LX_OK);
}

static void
lsn_chat(struct req *r, const char *path_model)
{
	if (path_model != NULL &&
	    (r->path_model = ar_strdup(&r->ar, path_model)) == NULL) {
		err_reply(r, 500, "internal_server_error", NULL,
		    "out of memory");
		return;
	}
	req_run(r);
}

enum lsn_auth {
	LSN_OPEN,	/* anyone (health probes) */
	LSN_KEY,	/* a key, checked here before the handler */
	LSN_STAGES	/* a key, checked by the auth stage of req_run */
};

#define LSN_ANY		(~0)
#define LSN_GET		(EVHTTP_REQ_GET | EVHTTP_REQ_HEAD)
#define LSN_POST	EVHTTP_REQ_POST

/*
 * A path is `path' exactly, or `path' {arg} `suffix' when suffix is not
 * NULL ({arg} URI-decoded, without a slash unless slash is set).  Paths
 * are matched after an optional /v1.
 */
struct lsn_route {
	const char	*path;
	const char	*suffix;
	int		 slash;
	int		 methods;	/* EVHTTP_REQ_* */
	enum lsn_auth	 auth;
	const char	*name;		/* in logs and errors */
	enum req_kind	 kind;
	void		(*open)(struct wrk *, struct evhttp_request *);
	void		(*run)(struct req *, const char *arg);
};

static const struct lsn_route lsn_routes[] = {
	{ "/health/liveliness", NULL, 0, LSN_ANY, LSN_OPEN, NULL, 0,
	    hlt_live, NULL },
	{ "/health/liveness", NULL, 0, LSN_ANY, LSN_OPEN, NULL, 0,
	    hlt_live, NULL },
	{ "/health/readiness", NULL, 0, LSN_ANY, LSN_OPEN, NULL, 0,
	    hlt_ready, NULL },
	{ "/chat/completions", NULL, 0, LSN_POST, LSN_STAGES,
	    "/chat/completions", RK_CHAT, NULL, lsn_chat },
	{ "/openai/deployments/", "/chat/completions", 0, LSN_POST,
	    LSN_STAGES, "/chat/completions", RK_CHAT, NULL, lsn_chat },
	{ "/engines/", "/chat/completions", 1, LSN_POST, LSN_STAGES,
	    "/chat/completions", RK_CHAT, NULL, lsn_chat },
	{ "/models", NULL, 0, LSN_GET, LSN_KEY, "/models", RK_MODELS,
	    NULL, mdl_list },
	{ "/models/", "", 1, LSN_GET, LSN_KEY, "/models", RK_MODELS,
	    NULL, mdl_list },
	{ "/model/info", NULL, 0, LSN_GET, LSN_KEY, "/model/info",
	    RK_MODELS, NULL, mi_model_info },
	{ "/model_group/info", NULL, 0, LSN_GET, LSN_KEY,
	    "/model_group/info", RK_MODELS, NULL, mi_group_info },
};

/* Does path match rt?  *arg gets {arg}, to be freed by the caller. */
static int
lsn_route_match(const struct lsn_route *rt, const char *path, char **arg)
{
	size_t	pl = strlen(rt->path), sl, n = strlen(path);
	char	buf[512];

	*arg = NULL;
	if (rt->suffix == NULL)
		return (strcmp(path, rt->path) == 0);
	sl = strlen(rt->suffix);
	if (n <= pl + sl || strncmp(path, rt->path, pl) != 0 ||
	    strcmp(path + n - sl, rt->suffix) != 0 ||
	    n - pl - sl >= sizeof(buf))
		return (0);
	memcpy(buf, path + pl, n - pl - sl);
	buf[n - pl - sl] = '\0';
	if (!rt->slash && strchr(buf, '/') != NULL)
		return (0);
	return ((*arg = evhttp_uridecode(buf, 0, NULL)) != NULL);
}

static void
lsn_route_run(struct wrk *w, struct evhttp_request *ev,
    const struct lsn_route *rt, const char *arg)
{
	struct req	*r;

	if (rt->auth == LSN_OPEN) {
		rt->open(w, ev);
		return;
	}
	if ((r = lsn_req_new(w, ev, rt->name)) == NULL) {
		err_send(w, ev, 500, "internal_server_error", NULL,
		    "out of memory");
		return;
	}
	r->kind = rt->kind;
	if (rt->auth == LSN_KEY && auth_run(r) != LX_OK)
		return;
	rt->run(r, arg);
}

static void
lsn_close_after(struct evhttp_request *ev)
{
	struct evkeyvalq	*out = evhttp_request_get_output_headers(ev);

	if (evhttp_find_header(out, "Connection") == NULL)
		evhttp_add_header(out, "Connection", "close");
}

/*
 * What the guard decided about this request: a framing error is answered
 * here; an oversized body is handed to lsn_parse_chat in a header that a
 * client can no longer set.
 */
static int
lsn_apply_verdict(struct wrk *w, struct evhttp_request *ev)
{
	struct lsn_guard	*g = lsn_guard_of(ev);
	struct evkeyvalq	*in = evhttp_request_get_input_headers(ev);
	const struct lsn_verdict *v = NULL;
	char			 num[32];
	size_t			 i;

	while (evhttp_remove_header(in, LSN_TOO_LARGE) == 0)
		;
	if (g != NULL) {
		g->ndisp++;
		evhttp_request_set_on_complete_cb(ev, lsn_req_done, g);
		for (i = 0; i < LSN_NVERDICT; i++)
			if (g->v[i].seq == g->ndisp)
				v = &g->v[i];
	}
	if (v != NULL && v->close)
		lsn_close_after(ev);
	if (v == NULL)
		return (LX_OK);
	if (v->status != 0) {
		if (v->status == 413)
			err_send(w, ev, 413, "invalid_request_error", NULL,
			    "Request size is too large. Max size is %.2f MB",
			    (double)lsn_max_body(w->cfg) / (1024 * 1024));
		else
			err_send(w, ev, v->status, "invalid_request_error",
			    NULL, "%s", v->msg);
		return (LX_ERR);
	}
	if (v->oversz > 0) {
		snprintf(num, sizeof(num), "%lld", v->oversz);
		evhttp_add_header(in, LSN_TOO_LARGE, num);
	}
	return (LX_OK);
}

static void
lsn_dispatch(struct evhttp_request *ev, void *arg)
{
	struct wrk		*w = arg;
	const struct evhttp_uri	*u = evhttp_request_get_evhttp_uri(ev);
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(ev);
	const char		*path = u ? evhttp_uri_get_path(u) : NULL;
	const struct lsn_route	*rt;
	char			*a;
	size_t			 i;
	int			 wrong_method = 0;

	w->requests++;
	if (lsn_apply_verdict(w, ev) != LX_OK)
		return;
	if (path == NULL || *path == '\0')
		path = "/";
	if (strncmp(path, "/v1/", 4) == 0)
		path += 3;
	for (i = 0; i < LX_NELEM(lsn_routes); i++) {
		rt = &lsn_routes[i];
		if (!lsn_route_match(rt, path, &a))
			continue;
		if ((rt->methods & (int)cmd) == 0) {
			wrong_method = 1;
			free(a);
			continue;
		}
		/*
		 * A draining worker closes each connection after its next
		 * answer (req_add_headers says so for a request).
		 */
		if (w->draining && rt->auth == LSN_OPEN)
			lsn_close_after(ev);
		lsn_route_run(w, ev, rt, a);
		free(a);
		return;
	}
	if (w->draining)
		lsn_close_after(ev);
	if (wrong_method)
		err_send(w, ev, 405, "invalid_request_error", NULL,
		    "Method Not Allowed");
	else
		err_send(w, ev, 404, "not_found_error", NULL, "Not Found");
}

int
lsn_init(struct wrk *w, int fd)
{
	const struct cfg	*c = w->cfg;
	struct evconnlistener	*l;

	if ((w->http = evhttp_new(w->base)) == NULL)
		return (LX_ERR);
	evhttp_set_bevcb(w->http, lsn_bevcb, w);
	evhttp_set_gencb(w->http, lsn_dispatch, w);
	evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(w->http, c->llmux.max_header_size);
	/* A backstop: the guard refuses a larger body first. */
	evhttp_set_max_body_size(w->http, lsn_max_body(c));
	evhttp_set_timeout(w->http, (int)c->llmux.keepalive_timeout);
	lsn_wrk = w;
	if ((lsn_backoff_ev = evtimer_new(w->base, lsn_backoff_end, NULL)) ==
	    NULL)
		return (LX_ERR);
	if ((w->bound = evhttp_accept_socket_with_handle(w->http, fd)) ==
	    NULL)
		return (LX_ERR);
	if ((l = evhttp_bound_socket_get_listener(w->bound)) != NULL)
		evconnlistener_set_error_cb(l, lsn_accept_error);
	return (LX_OK);
}

void
lsn_stop(struct wrk *w)
{
	struct lsn_guard	*g;

	lsn_draining = 1;
	if (w->bound != NULL) {
		evhttp_del_accept_socket(w->http, w->bound);
		w->bound = NULL;
	}
	LIST_FOREACH(g, &lsn_guards, link)
		lsn_guard_rearm(g);
}

void
lsn_free(struct wrk *w)
{
	w->bound = NULL;	/* evhttp_free releases it */
	if (w->http != NULL)
		evhttp_free(w->http);
	w->http = NULL;
	lsn_draining = 0;	/* no one to tell any more */
	while (!LIST_EMPTY(&lsn_guards))
		lsn_guard_free(LIST_FIRST(&lsn_guards));
	if (lsn_backoff_ev != NULL)
		event_free(lsn_backoff_ev);
	lsn_backoff_ev = NULL;
	free(lsn_byfd);
	lsn_byfd = NULL;
	lsn_nbyfd = 0;
}
