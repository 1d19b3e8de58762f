/*
 * listen.c: the client side of a worker.
 *
 * evhttp parses HTTP; in front of it sits a guard, a bufferevent filter on
 * every client connection, because evhttp alone cannot enforce what a
 * gateway facing the internet needs:
 *   - an absolute deadline for the request headers (llmux_settings.
 *     header_timeout) and for the body (body_timeout), so a client sending
 *     one byte at a time is dropped; evhttp's own timeout restarts on every
 *     byte;
 *   - a body larger than general_settings.max_request_size_mb is answered
 *     413 with LiteLLM's error JSON instead of evhttp's HTML: the guard
 *     rewrites its Content-Length to 0, marks the request with an internal
 *     header and discards the body bytes as they arrive, so the client
 *     reads the answer and the connection stays usable.
 * Bodies sent with chunked transfer encoding fall back to evhttp's own
 * limit (same cap, plain 413).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
#include "json.h"
#include "listen.h"
#include "log.h"
#include "req.h"
#include "route.h"
#include "worker.h"

#define LSN_TOO_LARGE	"X-Llmux-Oversz"	/* as long as Content-Length */
#define LSN_DEFAULT_MAX_BODY	(100LL * 1024 * 1024)

enum lsn_gstate { G_HDR, G_BODY, G_DRAIN, G_PASS };

#define LSN_TICK	1.0	/* s between checks of a finished connection */
#define LSN_HDR_PIECE	4096	/* header bytes copied at a time */

/*
 * One per client connection.  It only watches what arrives (an evbuffer
 * callback on the socket's input runs before evhttp reads), except for
 * an oversized body, which it hides from evhttp.  It holds a reference on
 * the bufferevent so its timer never touches freed memory: when evhttp
 * has freed the connection (callbacks cleared) the next tick lets go.
 */
struct lsn_guard {
	struct wrk		*w;
	struct bufferevent	*bev;
	struct event		*timer;
	enum lsn_gstate		 st;
	char			*hdr;		/* copy of the header block */
	size_t			 hlen, hcap;
	long long		 remain;	/* body bytes to pass or drop */
	int			 deadline;	/* timer is a deadline */
	int			 busy;		/* our own edit of the buffer */
	int			 nodelay;	/* TCP_NODELAY is set */
	LIST_ENTRY(lsn_guard)	 link;
};

/* Every guard of this worker, so that an exit frees them all. */
static LIST_HEAD(, lsn_guard)	lsn_guards = LIST_HEAD_INITIALIZER(lsn_guards);
static long			lsn_nconns;	/* guards alive */
static int			lsn_paused;	/* accepting stopped at the cap */
static struct wrk		*lsn_wrk;

/*
 * llmux_settings.max_connections: at the cap this worker stops accepting
 * (the connections wait in the shared backlog, where another worker may
 * take them) and starts again once one of its own is released.
 */
static void
lsn_accepting(void)
{
	struct evconnlistener	*l;
	long			 max = lsn_wrk->cfg->llmux.max_connections;

	if (max <= 0 || lsn_wrk->bound == NULL ||
	    (l = evhttp_bound_socket_get_listener(lsn_wrk->bound)) == NULL)
		return;
	if (!lsn_paused && lsn_nconns >= max) {
		evconnlistener_disable(l);
		lsn_paused = 1;
	} else if (lsn_paused && lsn_nconns < max) {
		evconnlistener_enable(l);
		lsn_paused = 0;
	}
}

static long long
lsn_max_body(const struct cfg *c)
{
	if (c->general.max_request_size_mb > 0)
		return ((long long)(c->general.max_request_size_mb *
		    1024 * 1024));
	return (LSN_DEFAULT_MAX_BODY);
}

int
lsn_parse_headers(const char *p, size_t n, struct lsn_hdrinfo *hi)
{
	const char	*line = p, *end = p + n, *eol, *v;
	long long	 cl;

	hi->content_length = -1;
	hi->chunked = 0;
	while (line < end) {
		if ((eol = memchr(line, '\n', (size_t)(end - line))) == NULL)
			eol = end;
		if (eol - line > 15 &&
		    strncasecmp(line, "content-length:", 15) == 0) {
			for (v = line + 15; v < eol && (*v == ' ' ||
			    *v == '\t'); v++)
				;
			if (v >= eol || !isdigit((unsigned char)*v))
				return (LX_ERR);
			for (cl = 0; v < eol && isdigit((unsigned char)*v);
			    v++) {
				if (cl > (1LL << 50))
					return (LX_ERR);
				cl = cl * 10 + (*v - '0');
			}
			if (hi->content_length >= 0 &&
			    hi->content_length != cl)
				return (LX_ERR);
			hi->content_length = cl;
		} else if (eol - line > 18 &&
		    strncasecmp(line, "transfer-encoding:", 18) == 0)
			hi->chunked = 1;
		line = eol + 1;
	}
	return (LX_OK);
}

static void
lsn_guard_arm(struct lsn_guard *g, double secs, int deadline)
{
	struct timeval	tv;

	tv.tv_sec = (time_t)secs;
	tv.tv_usec = (suseconds_t)((secs - (double)tv.tv_sec) * 1e6);
	evtimer_add(g->timer, &tv);
	g->deadline = deadline;
}

static void
lsn_guard_free(struct lsn_guard *g)
{
	LIST_REMOVE(g, link);
	lsn_nconns--;
	lsn_accepting();
	event_free(g->timer);
	free(g->hdr);
	bufferevent_decref(g->bev);	/* closes the socket if ours last */
	free(g);
}

static void
lsn_guard_timer(evutil_socket_t fd, short what, void *arg)
{
	struct lsn_guard	*g = arg;
	bufferevent_data_cb	 rd, wr;
	bufferevent_event_cb	 ev;
	void			*cbarg;

	bufferevent_getcb(g->bev, &rd, &wr, &ev, &cbarg);
	if (ev == NULL) {
		/* evhttp has freed the connection. */
		lsn_guard_free(g);
		return;
	}
	if (g->deadline) {
		log_debug("client too slow sending its request: closing");
		/* evhttp closes it as for its own read timeout. */
		bufferevent_trigger_event(g->bev, BEV_EVENT_READING |
		    BEV_EVENT_TIMEOUT, BEV_TRIG_DEFER_CALLBACKS);
	}
	lsn_guard_arm(g, LSN_TICK, 0);
}

/*
 * The body is over the limit: rename its Content-Length header (same
 * length, so in place) so that evhttp dispatches the request without a
 * body, mark it, and drop the body bytes as they come.  Only possible
 * while evhttp has not yet consumed any of the header lines.
 */
static int
lsn_guard_oversize(struct lsn_guard *g, struct evbuffer *buf,
    long long cl)
{
	char		*h, *l, *e, *copy;
	size_t		 total = evbuffer_get_length(buf), here;

	if (total < g->hlen ||
	    (h = (char *)evbuffer_pullup(buf, (ev_ssize_t)g->hlen)) == NULL ||
	    memcmp(h, g->hdr, g->hlen) != 0)
		return (LX_ERR);
	for (l = g->hdr; l < g->hdr + g->hlen; l = e + 1) {
		if ((e = memchr(l, '\n', g->hlen - (size_t)(l - g->hdr))) ==
		    NULL)
			return (LX_ERR);
		if (strncasecmp(l, "content-length:", 15) == 0)
			break;
	}
	memcpy(l, LSN_TOO_LARGE, 14);
	here = total - g->hlen;
	if ((long long)here > cl)
		here = (size_t)cl;
	if ((copy = malloc(g->hlen)) == NULL)
		return (LX_ERR);
	memcpy(copy, g->hdr, g->hlen);
	g->busy = 1;
	evbuffer_drain(buf, g->hlen + here);
	evbuffer_prepend(buf, copy, g->hlen);
	g->busy = 0;
	free(copy);
	g->remain = cl - (long long)here;
	g->st = g->remain > 0 ? G_DRAIN : G_HDR;
	return (LX_OK);
}

/* Returns 1 when the header block was rewritten (it is then in front). */
static int
lsn_guard_header(struct lsn_guard *g, struct evbuffer *buf)
{
	const struct cfg	*c = g->w->cfg;
	struct lsn_hdrinfo	 hi;

	evtimer_del(g->timer);
	lsn_guard_arm(g, LSN_TICK, 0);
	if (lsn_parse_headers(g->hdr, g->hlen, &hi) != LX_OK ||
	    hi.chunked) {
		/* evhttp judges what we do not follow. */
		g->st = hi.chunked ? G_PASS : G_HDR;
		return (0);
	}
	if (hi.content_length > lsn_max_body(c) &&
	    lsn_guard_oversize(g, buf, hi.content_length) == LX_OK) {
		if (g->st == G_DRAIN)
			lsn_guard_arm(g, c->llmux.body_timeout, 1);
		return (1);
	}
	g->remain = hi.content_length > 0 ? hi.content_length : 0;
	g->st = g->remain > 0 ? G_BODY : G_HDR;
	if (g->remain > 0)
		lsn_guard_arm(g, c->llmux.body_timeout, 1);
	return (0);
}

static void
lsn_guard_body_done(struct lsn_guard *g)
{
	g->st = G_HDR;
	g->hlen = 0;
	evtimer_del(g->timer);
	lsn_guard_arm(g, LSN_TICK, 0);
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
	int		fd = bufferevent_getfd(g->bev);

	while (fd >= 0 && g->remain > 0 &&
	    (g->st == G_BODY || g->st == G_DRAIN)) {
		want = g->remain < (long long)sizeof(tmp) ?
		    (size_t)g->remain : sizeof(tmp);
		if ((n = read(fd, tmp, want)) <= 0)
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

static void
lsn_guard_in(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct lsn_guard	*g = arg;
	const struct cfg	*c = g->w->cfg;
	struct evbuffer_ptr	 pos;
	size_t			 off, n, i;
	char			*nh, *end;

	if (g->busy || info->n_added == 0)
		return;
	if (!g->nodelay) {
		int	on = 1, fd = bufferevent_getfd(g->bev);

		/*
		 * Stream chunks are small writes: without this, Nagle holds
		 * each behind the client's delayed ACK, tens of ms a chunk.
		 */
		g->nodelay = 1;
		if (fd >= 0)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
			    sizeof(on));
	}
	/* The new bytes are the last n_added of the buffer. */
	off = evbuffer_get_length(buf) - info->n_added;
	while (off < evbuffer_get_length(buf)) {
		n = evbuffer_get_length(buf) - off;
		switch (g->st) {
		case G_PASS:
			return;
		case G_BODY:
		case G_DRAIN:
			if ((long long)n > g->remain)
				n = (size_t)g->remain;
			if (g->st == G_DRAIN && off == 0) {
				g->busy = 1;
				evbuffer_drain(buf, n);
				g->busy = 0;
			} else if (g->st == G_DRAIN) {
				/* Drop the new bytes, keep what evhttp has
				 * not read yet in front of them. */
				struct evbuffer *keep = evbuffer_new();

				if (keep == NULL)
					return;
				g->busy = 1;
				evbuffer_remove_buffer(buf, keep, off);
				evbuffer_drain(buf, n);
				evbuffer_prepend_buffer(buf, keep);
				g->busy = 0;
				evbuffer_free(keep);
			} else
				off += n;
			g->remain -= (long long)n;
			if (g->remain == 0)
				lsn_guard_body_done(g);
			break;
		case G_HDR:
			if (g->hlen == 0 && !g->deadline)
				lsn_guard_arm(g, c->llmux.header_timeout, 1);
			if (n > LSN_HDR_PIECE)
				n = LSN_HDR_PIECE;
			if (g->hlen + n > g->hcap) {
				size_t cap = g->hcap ? g->hcap : 1024;

				while (cap < g->hlen + n)
					cap *= 2;
				if (cap > (size_t)c->llmux.max_header_size +
				    LSN_HDR_PIECE ||
				    (nh = realloc(g->hdr, cap)) == NULL) {
					/* evhttp answers headers too large */
					g->st = G_PASS;
					return;
				}
				g->hdr = nh;
				g->hcap = cap;
			}
			evbuffer_ptr_set(buf, &pos, off, EVBUFFER_PTR_SET);
			if (evbuffer_copyout_from(buf, &pos, g->hdr + g->hlen,
			    n) < 0)
				return;
			/* The blank line may straddle the previous piece. */
			i = g->hlen > 3 ? g->hlen - 3 : 0;
			if ((end = memmem(g->hdr + i, g->hlen + n - i,
			    "\r\n\r\n", 4)) == NULL) {
				g->hlen += n;
				off += n;
				break;
			}
			i = (size_t)(end + 4 - g->hdr) - g->hlen;
			g->hlen += i;
			off += i;
			/* A rewritten header block is back at the front. */
			if (lsn_guard_header(g, buf))
				off = g->hlen;
			if (g->st == G_HDR)
				g->hlen = 0;
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
	if ((g->timer = evtimer_new(base, lsn_guard_timer, g)) == NULL ||
	    (bev = bufferevent_socket_new(base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		if (g->timer != NULL)
			event_free(g->timer);
		free(g);
		return (NULL);
	}
	g->bev = bev;
	LIST_INSERT_HEAD(&lsn_guards, g, link);
	lsn_nconns++;
	lsn_accepting();
	bufferevent_incref(bev);
	evbuffer_add_cb(bufferevent_get_input(bev), lsn_guard_in, g);
	/* The first request's headers are due from the accept on. */
	lsn_guard_arm(g, w->cfg->llmux.header_timeout, 1);
	return (bev);
}

/* --- routes --------------------------------------------------------- */

static void
lsn_send_json(struct evhttp_request *ev, int code, const char *reason,
    const char *json)
{
	struct evbuffer	*b = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(ev),
	    "Content-Type", "application/json");
	if (b != NULL)
		evbuffer_add(b, json, strlen(json));
	evhttp_send_reply(ev, code, reason, b);
	if (b != NULL)
		evbuffer_free(b);
}

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
lsn_chat(struct wrk *w, struct evhttp_request *ev, const char *route,
    const char *path_model)
{
	struct req	*r;

	if ((r = lsn_req_new(w, ev, route)) == NULL) {
		evhttp_send_error(ev, 500, NULL);
		return;
	}
	r->kind = RK_CHAT;
	if (path_model != NULL &&
	    (r->path_model = ar_strdup(&r->ar, path_model)) == NULL) {
		err_reply(r, 500, "internal_server_error", NULL,
		    "out of memory");
		return;
	}
	req_run(r);
}

static void
lsn_models(struct wrk *w, struct evhttp_request *ev, const char *one)
{
	const struct rt_table	*t = wrk_routes(w);
	const struct cfg	*c = w->cfg;
	struct req		*r;
	struct evbuffer		*b;
	const char		*q;
	size_t			 i;
	int			 first = 1, found = 0;

	if ((r = lsn_req_new(w, ev, "/models")) == NULL) {
		evhttp_send_error(ev, 500, NULL);
		return;
	}
	r->kind = RK_MODELS;
	if (auth_run(r) != LX_OK)
		return;
	if ((b = evbuffer_new()) == NULL) {
		err_reply(r, 500, "internal_server_error", NULL,
		    "out of memory");
		return;
	}
	if (one == NULL)
		evbuffer_add_printf(b, "{\"data\":[");
	for (i = 0; i < t->ngroups + c->router.nalias; i++) {
		const char *name;

		if (i < t->ngroups)
			name = t->groups[i].name;
		else if (c->router.alias[i - t->ngroups].hidden)
			continue;
		else
			name = c->router.alias[i - t->ngroups].alias;
		if (one != NULL && strcmp(one, name) != 0)
			continue;
		if ((q = js_quote(&r->ar, name)) == NULL)
			break;
		evbuffer_add_printf(b, "%s{\"id\":%s,\"object\":\"model\","
		    "\"created\":1677610602,\"owned_by\":\"openai\"}",
		    first ? "" : ",", q);
		first = 0;
		found = 1;
		if (one != NULL)
			break;
	}
	if (one == NULL)
		evbuffer_add_printf(b, "],\"object\":\"list\"}");
	if (one != NULL && !found) {
		evbuffer_free(b);
		err_reply(r, 404, "not_found_error", "model",
		    "The model `%s` does not exist", one);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(ev),
	    "Content-Type", "application/json");
	req_reply(r, 200, b);
	evbuffer_free(b);
	req_finish(r);
}

/* "/engines/{m}/chat/completions" and the Azure form: the {m}. */
static char *
lsn_path_model(const char *path, const char *pre, const char *suf,
    char *buf, size_t bufsz)
{
	size_t	pl = strlen(pre), sl = strlen(suf), n = strlen(path);

	if (n <= pl + sl || strncmp(path, pre, pl) != 0 ||
	    strcmp(path + n - sl, suf) != 0 || n - pl - sl >= bufsz)
		return (NULL);
	memcpy(buf, path + pl, n - pl - sl);
	buf[n - pl - sl] = '\0';
	if (strchr(buf, '/') != NULL && strncmp(pre, "/openai", 7) == 0)
		return (NULL);
	return (evhttp_uridecode(buf, 0, NULL));
}

static void
lsn_dispatch(struct evhttp_request *ev, void *arg)
{
	struct wrk		*w = arg;
	const struct evhttp_uri	*u = evhttp_request_get_evhttp_uri(ev);
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(ev);
	const char		*path = u ? evhttp_uri_get_path(u) : NULL;
	char			 buf[512], *m;
	int			 get = cmd == EVHTTP_REQ_GET ||
				    cmd == EVHTTP_REQ_HEAD;
	int			 post = cmd == EVHTTP_REQ_POST;

	w->requests++;
	if (path == NULL)
		path = "/";
	if (strncmp(path, "/v1/", 4) == 0)
		path += 3;
	if (strcmp(path, "/health/liveliness") == 0 ||
	    strcmp(path, "/health/liveness") == 0) {
		if (cmd == EVHTTP_REQ_OPTIONS) {
			evhttp_add_header(evhttp_request_get_output_headers(ev),
			    "Allow", "GET, OPTIONS");
			evhttp_send_reply(ev, 200, "OK", NULL);
		} else
			lsn_send_json(ev, 200, "OK", "\"I'm alive!\"");
		return;
	}
	if (strcmp(path, "/health/readiness") == 0) {
		if (w->draining)
			lsn_send_json(ev, 503, "Service Unavailable",
			    "{\"status\":\"draining\"}");
		else
			lsn_send_json(ev, 200, "OK", "{\"status\":"
			    "\"healthy\",\"db\":\"Not connected\",\"cache\":"
			    "null,\"litellm_version\":\"" LLMUX_VERSION "\","
			    "\"success_callbacks\":[]}");
		return;
	}
	if (strcmp(path, "/chat/completions") == 0 && post) {
		lsn_chat(w, ev, "/chat/completions", NULL);
		return;
	}
	if (post && ((m = lsn_path_model(path, "/openai/deployments/",
	    "/chat/completions", buf, sizeof(buf))) != NULL ||
	    (m = lsn_path_model(path, "/engines/", "/chat/completions", buf,
	    sizeof(buf))) != NULL)) {
		lsn_chat(w, ev, "/chat/completions", m);
		free(m);
		return;
	}
	if (strcmp(path, "/models") == 0 && get) {
		lsn_models(w, ev, NULL);
		return;
	}
	if (strncmp(path, "/models/", 8) == 0 && get &&
	    (m = evhttp_uridecode(path + 8, 0, NULL)) != NULL) {
		lsn_models(w, ev, m);
		free(m);
		return;
	}
	if (strcmp(path, "/chat/completions") == 0 ||
	    strcmp(path, "/models") == 0) {
		lsn_send_json(ev, 405, "Method Not Allowed",
		    "{\"error\":{\"message\":\"Method Not Allowed\",\"type\":"
		    "\"invalid_request_error\",\"param\":null,\"code\":"
		    "\"405\"}}");
		return;
	}
	lsn_send_json(ev, 404, "Not Found", "{\"error\":{\"message\":"
	    "\"Not Found\",\"type\":\"not_found_error\",\"param\":null,"
	    "\"code\":\"404\"}}");
}

int
lsn_init(struct wrk *w, int fd)
{
	const struct cfg	*c = w->cfg;

	if ((w->http = evhttp_new(w->base)) == NULL)
		return (LX_ERR);
	evhttp_set_bevcb(w->http, lsn_bevcb, w);
	evhttp_set_gencb(w->http, lsn_dispatch, w);
	evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(w->http, c->llmux.max_header_size);
	/* Backstop for chunked bodies; the guard handles Content-Length. */
	evhttp_set_max_body_size(w->http, lsn_max_body(c));
	evhttp_set_timeout(w->http, (int)c->llmux.keepalive_timeout);
	lsn_wrk = w;
	if ((w->bound = evhttp_accept_socket_with_handle(w->http, fd)) ==
	    NULL)
		return (LX_ERR);
	return (LX_OK);
}

void
lsn_stop(struct wrk *w)
{
	if (w->bound != NULL) {
		evhttp_del_accept_socket(w->http, w->bound);
		w->bound = NULL;
	}
}

void
lsn_free(struct wrk *w)
{
	w->bound = NULL;	/* evhttp_free releases it */
	if (w->http != NULL)
		evhttp_free(w->http);
	w->http = NULL;
	while (!LIST_EMPTY(&lsn_guards))
		lsn_guard_free(LIST_FIRST(&lsn_guards));
}
