/*
 * req.c: the request state machine: the stage sequence, the decision on
 * an upstream outcome, the finish stages, and the pool of requests.
 *
 * A request runs the stages below in order, each setting its state.  A
 * stage returns LX_OK to go on, LX_ERR when it has answered the client
 * (through err_reply), or LX_AGAIN when it waits on I/O.  The provider
 * stage ends in an outcome (r->oc), handed to req_outcome() by the relay
 * when the call ends, or found after the last stage when the answer was
 * made at once (mock_response): req_outcome() decides what to do with it.
 * Whatever path a request takes, req_finish() runs the finish stages once
 * and the worker frees it after the loop pass, never inside a callback
 * that may still use it.
 *
 * Per-worker state lives in the statics of the module that owns it (a
 * worker is one process): this file's request pool, upstream.c's curl
 * handles.  struct wrk holds what worker.c itself runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "auth.h"
#include "cfg.h"
#include "err.h"
#include "listen.h"
#include "log.h"
#include "prov.h"
#include "relay.h"
#include "req.h"
#include "route.h"
#include "upstream.h"
#include "worker.h"

struct req_stage {
	const char	*name;
	enum req_state	 state;
	int		(*run)(struct req *);
};

static const struct req_stage req_stages[] = {
	{ "auth",	RS_AUTH,	auth_run },
	{ "parse",	RS_PARSE,	lsn_parse_chat },
	{ "route",	RS_ROUTE,	rt_run },
	{ "provider",	RS_UPSTREAM,	prov_run },	/* LX_AGAIN: relay.c */
};

/*
 * What every request does at its end, in this order, whatever ended it.
 * "account" is a no-op until spend lands (it will read r->prompt_tokens
 * and r->completion_tokens); "log" writes a debug line only.
 */
struct req_fin {
	const char	*name;
	void		(*run)(struct req *, enum req_state last);
};

static void	req_fin_timers(struct req *, enum req_state);
static void	req_fin_upstream(struct req *, enum req_state);
static void	req_fin_respond(struct req *, enum req_state);
static void	req_fin_release(struct req *, enum req_state);
static void	req_fin_account(struct req *, enum req_state);
static void	req_fin_log(struct req *, enum req_state);

static const struct req_fin req_fins[] = {
	{ "timers",	req_fin_timers },	/* sse_keepalive off */
	{ "upstream",	req_fin_upstream },	/* abort a call still running */
	{ "respond",	req_fin_respond },	/* end the stream, or a last 500 */
	{ "release",	req_fin_release },	/* the strategy's counters */
	{ "account",	req_fin_account },	/* no-op for now */
	{ "log",	req_fin_log },
};

/* What req_outcome() may do with an outcome. */
enum req_next {
	REQ_REPLY,		/* answer the client with it */
	REQ_RETRY,		/* the same group again (router issue) */
	REQ_FALLBACK,		/* another group (router issue) */
};

static const char *const req_state_names[] = {
	[RS_NEW] = "new", [RS_AUTH] = "auth", [RS_PARSE] = "parse",
	[RS_ROUTE] = "route", [RS_UPSTREAM] = "upstream",
	[RS_STREAMING] = "streaming", [RS_REPLIED] = "replied",
	[RS_DONE] = "done",
};

const char *
req_state_name(enum req_state s)
{
	if ((size_t)s >= LX_NELEM(req_state_names))
		return ("unknown");
	return (req_state_names[s]);
}

uint64_t
req_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

void
req_run(struct req *r)
{
	size_t	i;
	int	rc;

	for (i = 0; i < LX_NELEM(req_stages); i++) {
		r->state = req_stages[i].state;
		rc = req_stages[i].run(r);
		if (rc != LX_OK)
			return;		/* answered, or a callback resumes */
		if (ar_failed(&r->ar)) {
			err_reply(r, 500, "internal_server_error", NULL,
			    "out of memory in stage %s", req_stages[i].name);
			return;
		}
	}
	/* Answered without waiting (mock_response): the outcome is ready. */
	req_outcome(r);
}

/*
 * The decision point of nginx's ngx_http_upstream_next: nothing may be
 * retried once a byte reached the client.  Retries and fallbacks
 * (num_retries, fallbacks, cooldowns) land with the router; until then
 * every outcome is replied, which is LiteLLM's behaviour with none set.
 */
static enum req_next
req_decide(struct req *r, const struct rly_outcome *o)
{
	if (o->ok || o->sent)
		return (REQ_REPLY);
	/*
	 * Here num_retries (same group, o->cls retryable, honouring
	 * o->retry_after) answers REQ_RETRY and fallbacks REQ_FALLBACK; the
	 * caller then releases the pick (rt_release is idempotent) and runs
	 * the stages again from RS_ROUTE.
	 */
	return (REQ_REPLY);
}

static const struct timeval	req_fail_window = { 1, 0 };

/* A deployment's window is over: the failures it counted, in one line. */
static void
req_fails_close(evutil_socket_t fd, short what, void *arg)
{
	struct rt_deploy	*d = arg;

	if (d->fails.n == 0) {
		d->fails.on = 0;
		return;
	}
	log_msg(LOG_LVL_WARN, NULL, "deployment %s (%s): %u more upstream "
	    "failures in the last second", d->cfg->model_name, d->cfg->model,
	    d->fails.n);
	d->fails.n = 0;
	/* Still failing, most likely: count the next second too. */
	evtimer_add(&d->fails.ev, &req_fail_window);
}

/*
 * Log a failed upstream call once per deployment and second: a down
 * upstream must not turn every request into a warning line.  The first
 * of a window is logged whole, the rest counted for req_fails_close().
 */
static void
req_log_failure(struct req *r, const struct rly_outcome *o)
{
	struct rt_deploy	*d = r->picked;

	if (d == NULL)
		return;		/* err_reply logs it as usual */
	r->err_logged = 1;
	if (d->fails.on) {
		d->fails.n++;
		return;
	}
	if (!d->fails.assigned) {
		evtimer_assign(&d->fails.ev, r->w->base, req_fails_close, d);
		d->fails.assigned = 1;
	}
	d->fails.on = 1;
	d->fails.n = 0;
	evtimer_add(&d->fails.ev, &req_fail_window);
	log_msg(o->status >= 500 ? LOG_LVL_WARN : LOG_LVL_INFO, r->id,
	    "%s %d: %s", r->route, o->status, o->msg);
}

/* A 2xx answer is in r->out: the end of a stream, or a whole body. */
static void
req_reply_ok(struct req *r)
{
	if (r->stream) {
		req_stream_start(r);
		req_stream_flush(r);
	} else {
		evhttp_add_header(evhttp_request_get_output_headers(r->ev),
		    "Content-Type", "application/json");
		req_reply(r, 200, r->out);
	}
	req_finish(r);
}

void
req_outcome(struct req *r)
{
	const struct rly_outcome	*o = &r->oc;

	if (r->ev == NULL || r->state == RS_DONE) {
		req_finish(r);		/* the client is gone */
		return;
	}
	switch (req_decide(r, o)) {
	case REQ_RETRY:
	case REQ_FALLBACK:
		/* Not reached yet: both re-enter at the route stage. */
	case REQ_REPLY:
		break;
	}
	if (o->ok) {
		req_reply_ok(r);
		return;
	}
	req_log_failure(r, o);
	err_reply(r, o->status, o->type, NULL, "%s",
	    o->msg != NULL ? o->msg : "upstream call failed");
}

static const char *
req_reason(int status)
{
	switch (status) {
	case 200:	return ("OK");
	case 400:	return ("Bad Request");
	case 401:	return ("Unauthorized");
	case 403:	return ("Forbidden");
	case 404:	return ("Not Found");
	case 405:	return ("Method Not Allowed");
	case 408:	return ("Request Timeout");
	case 413:	return ("Payload Too Large");
	case 422:	return ("Unprocessable Entity");
	case 429:	return ("Too Many Requests");
	case 500:	return ("Internal Server Error");
	case 502:	return ("Bad Gateway");
	case 503:	return ("Service Unavailable");
	case 504:	return ("Gateway Timeout");
	default:	return ("Status");
	}
}

static void
req_hdr_ms(struct evkeyvalq *h, const char *name, uint64_t ns)
{
	char	buf[32];

	snprintf(buf, sizeof(buf), "%.3f", (double)ns / 1e6);
	evhttp_add_header(h, name, buf);
}

/* Add the x-litellm-* headers that are known at this point. */
static void
req_add_headers(struct req *r, int final)
{
	struct evkeyvalq	*h;
	uint64_t		 now, up;
	char			 base[512], *q;

	if (r->ev == NULL || r->hdrs_added)
		return;
	r->hdrs_added = 1;
	h = evhttp_request_get_output_headers(r->ev);
	evhttp_add_header(h, "x-litellm-call-id", r->id);
	evhttp_add_header(h, "x-litellm-version", LLMUX_VERSION);
	if (r->w->draining)
		evhttp_add_header(h, "Connection", "close");
	if (r->dep == NULL)
		return;
	if (r->dep->id != NULL)
		evhttp_add_header(h, "x-litellm-model-id", r->dep->id);
	evhttp_add_header(h, "x-litellm-model-group", r->dep->model_name);
	if (r->api_base != NULL) {
		/* The query string may carry a key (?key=...): never sent. */
		snprintf(base, sizeof(base), "%s", r->api_base);
		if ((q = strchr(base, '?')) != NULL)
			*q = '\0';
		evhttp_add_header(h, "x-litellm-model-api-base", base);
	}
	evhttp_add_header(h, "x-litellm-attempted-retries", "0");
	evhttp_add_header(h, "x-litellm-attempted-fallbacks", "0");
	if (r->t_up0 == 0)
		return;
	now = req_now();
	if (final && r->t_up1 != 0) {
		up = r->t_up1 - r->t_up0;
		req_hdr_ms(h, "x-litellm-response-duration-ms", up);
		req_hdr_ms(h, "x-litellm-overhead-duration-ms",
		    now - r->t0 > up ? now - r->t0 - up : 0);
	} else {
		/* A stream starts: the proxy's share so far is pre-call. */
		req_hdr_ms(h, "x-litellm-overhead-duration-ms",
		    r->t_up0 - r->t0);
	}
}

/* The client is gone: evhttp has detached the request from it. */
static void
req_closecb(struct evhttp_connection *conn, void *arg)
{
	struct req	*r = arg;

	if (r->ev != NULL && evhttp_request_get_connection(r->ev) == NULL)
		evhttp_request_free(r->ev);	/* orphaned: ours to free */
	r->ev = NULL;
	log_msg(LOG_LVL_DEBUG, r->id, "client closed the connection");
	req_finish(r);
}

/* Watch for the client going away while the answer is prepared. */
void
req_watch_client(struct req *r)
{
	evhttp_connection_set_closecb(evhttp_request_get_connection(r->ev),
	    req_closecb, r);
}

static void
req_unwatch_client(struct req *r)
{
	struct evhttp_connection *c;

	if (r->ev != NULL &&
	    (c = evhttp_request_get_connection(r->ev)) != NULL)
		evhttp_connection_set_closecb(c, NULL, NULL);
}

void
req_reply(struct req *r, int status, struct evbuffer *body)
{
	if (r->ev == NULL)
		return;
	req_add_headers(r, 1);
	req_unwatch_client(r);
	evhttp_send_reply(r->ev, status, req_reason(status), body);
	r->ev = NULL;		/* evhttp frees it once written */
	r->state = RS_REPLIED;
}

void
req_stream_start(struct req *r)
{
	struct evkeyvalq	*h;

	if (r->ev == NULL || r->state == RS_STREAMING)
		return;
	h = evhttp_request_get_output_headers(r->ev);
	evhttp_add_header(h, "Content-Type", "text/event-stream");
	evhttp_add_header(h, "Cache-Control", "no-cache");
	req_add_headers(r, 0);
	evhttp_send_reply_start(r->ev, 200, "OK");
	r->state = RS_STREAMING;
}

static void
req_keepalive_fire(evutil_socket_t fd, short what, void *arg)
{
	struct req	*r = arg;

	if (r->ev == NULL || r->state == RS_DONE)
		return;
	/*
	 * A proxy in front of us closes a silent connection (60 s is a
	 * common idle timeout) while a reasoning model thinks: a comment
	 * line keeps it open and every SSE client ignores it.
	 */
	req_stream_start(r);
	evbuffer_add(r->out, ": keep-alive\n\n", 14);
	req_stream_flush(r);
	req_keepalive_touch(r);
}

void
req_keepalive_start(struct req *r)
{
	if (r->cfg->llmux.sse_keepalive <= 0 || r->ka_on)
		return;
	evtimer_assign(&r->ka, r->w->base, req_keepalive_fire, r);
	r->ka_on = 1;
	req_keepalive_touch(r);
}

void
req_keepalive_touch(struct req *r)
{
	struct timeval	tv;
	double		s = r->cfg->llmux.sse_keepalive;

	if (!r->ka_on)
		return;
	tv.tv_sec = (time_t)s;
	tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
	evtimer_add(&r->ka, &tv);
}

const char *
req_model_quoted(struct req *r)
{
	if (r->model_q == NULL)
		r->model_q = js_quote(&r->ar, r->model);
	return (r->model_q);
}

size_t
req_client_backlog(struct req *r)
{
	struct evhttp_connection	*c;
	struct bufferevent		*bev;

	if (r->ev == NULL ||
	    (c = evhttp_request_get_connection(r->ev)) == NULL ||
	    (bev = evhttp_connection_get_bufferevent(c)) == NULL)
		return (0);
	return (evbuffer_get_length(bufferevent_get_output(bev)));
}

void
req_stream_flush(struct req *r)
{
	if (r->ev == NULL || r->out == NULL ||
	    evbuffer_get_length(r->out) == 0)
		return;
	evhttp_send_reply_chunk(r->ev, r->out);
}

static void
req_fin_timers(struct req *r, enum req_state last)
{
	if (r->ka_on) {
		evtimer_del(&r->ka);
		r->ka_on = 0;
	}
}

static void
req_fin_upstream(struct req *r, enum req_state last)
{
	if (r->up != NULL) {
		up_abort(r->up);
		r->up = NULL;
	}
}

static void
req_fin_respond(struct req *r, enum req_state last)
{
	if (r->ev != NULL) {
		if (last == RS_STREAMING) {
			req_unwatch_client(r);
			evhttp_send_reply_end(r->ev);
		} else {
			/* Every path answers first; this is a safety net. */
			struct evbuffer *b = evbuffer_new();

			if (b != NULL)
				err_body(b, 500, "internal_server_error", NULL,
				    "request ended without an answer");
			req_unwatch_client(r);
			evhttp_send_reply(r->ev, 500, "Internal Server Error",
			    b);
			if (b != NULL)
				evbuffer_free(b);
		}
		r->ev = NULL;
	}
}

static void
req_fin_account(struct req *r, enum req_state last)
{
}

static void
req_fin_release(struct req *r, enum req_state last)
{
	rt_release(r);
}

static void
req_fin_log(struct req *r, enum req_state last)
{
	if (log_enabled(LOG_LVL_DEBUG))
		log_msg(LOG_LVL_DEBUG, r->id, "%s done in state %s after "
		    "%.3f ms", r->route, req_state_name(last),
		    (double)(req_now() - r->t0) / 1e6);
}

void
req_finish(struct req *r)
{
	enum req_state	last = r->state;
	size_t		i;

	if (r->state == RS_DONE)
		return;
	/* Mark first: ending the response may call back into here. */
	r->state = RS_DONE;
	for (i = 0; i < LX_NELEM(req_fins); i++)
		req_fins[i].run(r, last);
	wrk_defer_free(r->w, r);
}

/*
 * Requests are recycled: a worker keeps finished ones with their arena's
 * first chunk, their buffers and their SSE buffer, so a request in the
 * steady state costs no large allocation (which would also make malloc
 * consolidate its free lists every time).
 */
#define REQ_POOL_MAX	256

static struct req	*req_pool;	/* this worker's finished requests */
static unsigned		 req_npool;

static void	req_destroy(struct req *);

struct req *
req_alloc(struct wrk *w)
{
	struct req	*r;
	struct arena	 ar;
	struct evbuffer	*up_body, *out;
	struct strm	 sse;

	if ((r = req_pool) == NULL) {
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return (NULL);
		ar_init(&r->ar, 0);
		strm_init(&r->sse);
		return (r);
	}
	req_pool = r->next_free;
	req_npool--;
	ar = r->ar;
	up_body = r->up_body;
	out = r->out;
	sse = r->sse;
	memset(r, 0, sizeof(*r));
	r->ar = ar;
	r->up_body = up_body;
	r->out = out;
	r->sse = sse;
	return (r);
}

void
req_free(struct req *r)
{
	if (req_npool < REQ_POOL_MAX) {
		ar_reset(&r->ar);
		if (r->up_body != NULL)
			evbuffer_drain(r->up_body,
			    evbuffer_get_length(r->up_body));
		if (r->out != NULL)
			evbuffer_drain(r->out, evbuffer_get_length(r->out));
		r->sse.len = r->sse.scan = 0;
		r->sse.done = 0;
		r->sse.events = 0;
		r->next_free = req_pool;
		req_pool = r;
		req_npool++;
		return;
	}
	req_destroy(r);
}

void
req_pool_free(void)
{
	struct req	*r;

	while ((r = req_pool) != NULL) {
		req_pool = r->next_free;
		req_destroy(r);
	}
	req_npool = 0;
}

static void
req_destroy(struct req *r)
{
	if (r->up_body != NULL)
		evbuffer_free(r->up_body);
	if (r->out != NULL)
		evbuffer_free(r->out);
	strm_free(&r->sse);
	ar_free(&r->ar);
	free(r);
}
