/*
 * relay.c: the upstream call every network provider shares.
 *
 * rly_start() asks the provider for the call (target, body), applies the
 * timeout policy and hands the call to upstream.c.  Bytes come back through
 * rly_data(): a whole body (a non-stream answer, or any error) is kept up
 * to the response size cap; a 2xx stream is cut into SSE events, each
 * translated by the provider and relayed at once, with the upstream paused
 * while the client reads slowly.  When the call ends, rly_done() turns
 * what happened into a struct rly_outcome (success, or LiteLLM's error
 * class, status and message) and hands it to req_outcome(): the request
 * decides what happens next, never the relay.
 *
 * Life cycle: one call per attempt; r->up is the call while it runs and
 * NULL once upstream.c has reported its end.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/http.h>

#include "arena.h"
#include "cfg.h"
#include "err.h"
#include "log.h"
#include "prov.h"
#include "relay.h"
#include "req.h"
#include "route.h"
#include "upstream.h"

/* Bytes waiting for a slow client before the upstream is paused. */
#define RLY_BACKLOG_MAX	(256 * 1024)
/* A whole body's cap when general_settings.max_response_size_mb is unset. */
#define RLY_BODY_MAX	(64 * 1024 * 1024)

/* Request fields LiteLLM consumes itself and never forwards. */
static const char *const rly_proxy_fields[] = {
	"model", "mock_response", "mock_tool_calls", "metadata",
	"litellm_metadata", "tags", "fallbacks", "context_window_fallbacks",
	"content_policy_fallbacks", "num_retries", "timeout", "stream_timeout",
	"request_timeout",
	"disable_fallbacks", "caching", "cache", "api_key", "api_base",
	"base_url", "api_version", "priority", "litellm_call_id",
	"litellm_trace_id", "litellm_session_id", "user_config", "guardrails",
	"proxy_server_request", "secret_fields", "max_retries",
	"mock_testing_fallbacks", "mock_testing_context_fallbacks",
	"mock_testing_content_policy_fallbacks",
	"mock_testing_rate_limit_error", "mock_timeout", "drop_params",
	"additional_drop_params", "input_cost_per_token",
	"output_cost_per_token", "model_list", "spend_logs_metadata",
	"extra_headers",	/* HTTP headers, sent by the provider */
};

int
rly_is_proxy_field(const char *key, size_t klen)
{
	size_t	i;

	for (i = 0; i < LX_NELEM(rly_proxy_fields); i++)
		if (strlen(rly_proxy_fields[i]) == klen &&
		    memcmp(rly_proxy_fields[i], key, klen) == 0)
			return (1);
	return (0);
}

/*
 * The texts by which LiteLLM's exception mapping recognises a prompt too
 * long for the model and a refusal on content, whatever the status code
 * (OpenAI sends 400 for both; compatible servers vary).
 */
static const char *const rly_ctx_texts[] = {
	"this model's maximum context length is", "maximum context length",
	"context_length_exceeded", "exceed context limit",
	"string too long. expected a string with maximum length",
	"model's maximum context limit",
	"is longer than the model's context length",
	"input tokens exceed the configured limit",
	"exceeds the available context size",
	"exceeds the maximum number of tokens allowed",
	"prompt is too long",
};
static const char *const rly_policy_texts[] = {
	"content_policy_violation", "responsibleaipolicyviolation",
	"content_filter", "content policy", "content management policy",
};

/* Is one of n needles in hay, ignoring case? */
static int
rly_has(const char *hay, const char *const *needles, size_t n)
{
	size_t	i, hl = strlen(hay), nl;
	size_t	j;

	for (i = 0; i < n; i++) {
		nl = strlen(needles[i]);
		for (j = 0; j + nl <= hl; j++)
			if (strncasecmp(hay + j, needles[i], nl) == 0)
				return (1);
	}
	return (0);
}

const char *
rly_classify(int st, const char *msg)
{
	/* Auth, permission, not-found and rate limits keep their class. */
	if (msg != NULL && st >= 400 && st <= 499 && st != 401 &&
	    st != 403 && st != 404 && st != 429) {
		if (rly_has(msg, rly_ctx_texts, LX_NELEM(rly_ctx_texts)))
			return ("ContextWindowExceededError");
		if (rly_has(msg, rly_policy_texts,
		    LX_NELEM(rly_policy_texts)))
			return ("ContentPolicyViolationError");
	}
	return (err_class(st));
}

/* Seconds to whole milliseconds for curl, at least 1, never overflowing. */
static long
rly_ms(double s)
{
	/* (long)(s * 1000) is 0 below 1 ms and undefined past LONG_MAX. */
	if (!(s * 1000 >= 1))
		return (1);
	if (s * 1000 >= (double)(LONG_MAX / 2))
		return (LONG_MAX / 2);
	return ((long)(s * 1000));
}

static void
rly_header(struct req *r, const char *line, size_t n)
{
	/* Only the values a client acts on are kept: retry-after. */
	if (n > 12 && strncasecmp(line, "retry-after:", 12) == 0) {
		const char	*v = line + 12;
		size_t		 l = n - 12;

		while (l > 0 && (*v == ' ' || *v == '\t'))
			v++, l--;
		while (l > 0 && (v[l - 1] == '\r' || v[l - 1] == '\n'))
			l--;
		r->retry_after = ar_strndup(&r->ar, v, l);
	}
}

/* One SSE event of a 2xx stream: translated, framed, queued for flush. */
static int
rly_event(void *arg, const char *data, size_t n)
{
	struct req	*r = arg;

	evbuffer_add(r->out, "data: ", 6);
	if (r->prov->ops->event(r, r->out, data, n) != LX_OK)
		return (LX_ERR);
	evbuffer_add(r->out, "\n\n", 2);
	return (LX_OK);
}

/* The largest whole body (a non-stream answer, an error) kept. */
static size_t
rly_body_max(const struct req *r)
{
	double	mb = r->cfg->general.max_response_size_mb;

	if (!(mb > 0))
		return (RLY_BODY_MAX);
	if (mb * 1024 * 1024 >= (double)(SIZE_MAX / 2))
		return (SIZE_MAX / 2);
	return ((size_t)(mb * 1024 * 1024));
}

static int
rly_data(struct req *r, const char *p, size_t n)
{
	long	status = up_status(r->up);

	if (r->ev == NULL)
		return (-1);
	if (status < 200 || status > 299 || !r->stream) {
		/* Whole bodies: a non-stream answer or any error. */
		if (evbuffer_get_length(r->up_body) + n > rly_body_max(r)) {
			r->up_too_big = 1;
			return (-1);
		}
		evbuffer_add(r->up_body, p, n);
		return (0);
	}
	/*
	 * A client reading slower than the upstream sends: stop taking
	 * bytes (curl pauses the transfer, TCP pushes back upstream) until
	 * what waits for the client has drained.  Memory per stream stays
	 * bounded whatever the client does.
	 */
	if (r->state == RS_STREAMING &&
	    req_client_backlog(r) > RLY_BACKLOG_MAX)
		return (1);
	req_keepalive_touch(r);
	req_stream_start(r);
	if (strm_feed(&r->sse, p, n, rly_event, r) != LX_OK)
		return (-1);
	if (r->sse.done && !r->sse_done_sent) {
		evbuffer_add(r->out, "data: [DONE]\n\n", 14);
		r->sse_done_sent = 1;
	}
	req_stream_flush(r);
	return (0);
}

/*
 * An upstream may echo what it was sent (the Authorization header) in its
 * error: the deployment's key never goes on to the client or the log.
 */
static const char *
rly_redact(struct req *r, const char *msg)
{
	const char	*key = r->rd->tgt.key, *p, *hit;
	char		 mask[64];
	struct evbuffer	*b;
	size_t		 klen;
	char		*out;

	if (msg == NULL || key == NULL || (klen = strlen(key)) < 8 ||
	    strstr(msg, key) == NULL)
		return (msg);
	log_redact(key, mask, sizeof(mask));
	if ((b = evbuffer_new()) == NULL)
		return ("upstream error (its text held the key)");
	for (p = msg; (hit = strstr(p, key)) != NULL; p = hit + klen) {
		evbuffer_add(b, p, (size_t)(hit - p));
		evbuffer_add(b, mask, strlen(mask));
	}
	evbuffer_add(b, p, strlen(p));
	out = ar_strndup(&r->ar, (const char *)evbuffer_pullup(b, -1),
	    evbuffer_get_length(b));
	evbuffer_free(b);
	return (out != NULL ? out : "upstream error (its text held the key)");
}

/* The call failed: r->oc gets LiteLLM's status, class and message. */
static void
rly_fail(struct req *r, int code, const char *cmsg, long st)
{
	struct rly_outcome	*o = &r->oc;
	const char		*tag = r->prov->tag;
	size_t			 n;

	o->ok = 0;
	if (r->up_too_big) {
		o->status = 500;
		o->cls = "APIError";
		o->type = "internal_server_error";
		o->msg = ar_printf(&r->ar, "litellm.APIError: APIError: %s - "
		    "upstream response is larger than max_response_size_mb "
		    "(%g MB)", tag, r->cfg->general.max_response_size_mb > 0 ?
		    r->cfg->general.max_response_size_mb :
		    (double)RLY_BODY_MAX / (1024 * 1024));
		return;
	}
	if (code == CURLE_OPERATION_TIMEDOUT) {
		o->status = 408;
		o->cls = "Timeout";
		o->msg = ar_printf(&r->ar, "litellm.Timeout: APITimeoutError - "
		    "Request timed out. Error_str: Request timed out. - "
		    "timeout value=%.1f, time taken=%.1f seconds", r->timeout,
		    (double)(r->t_up1 - r->t_up0) / 1e9);
		return;
	}
	if (code != CURLE_OK) {
		o->status = 500;
		o->cls = "APIConnectionError";
		o->type = "internal_server_error";
		o->msg = o->sent ? ar_printf(&r->ar,
		    "litellm.APIConnectionError: %s - upstream stream broken: "
		    "%s", tag, cmsg) : ar_printf(&r->ar,
		    "litellm.APIConnectionError: APIConnectionError: %s - %s",
		    tag, cmsg);
		return;
	}
	/* An upstream error status: passed through, with its message. */
	o->status = st >= 400 && st <= 599 ? (int)st : 502;
	o->cls = err_class((int)st);
	o->msg = NULL;
	n = evbuffer_get_length(r->up_body);
	r->prov->ops->error(r, o, (const char *)evbuffer_pullup(r->up_body,
	    -1), n);
	o->cls = rly_classify((int)st, o->msg);
	if (strcmp(o->cls, err_class((int)st)) != 0)
		/* LiteLLM's double prefix: the class, then the HTTP one. */
		o->msg = rly_redact(r, ar_printf(&r->ar, "litellm.%s: "
		    "litellm.%s: %s: %s - %s", o->cls, err_class((int)st),
		    o->cls, tag, o->msg != NULL ? o->msg : ""));
	else
		o->msg = rly_redact(r, ar_printf(&r->ar, "litellm.%s: %s: "
		    "%s - %s", o->cls, o->cls, tag, o->msg != NULL ? o->msg :
		    ""));
}

static void
rly_done(struct req *r, int code, long st, const char *cmsg)
{
	struct rly_outcome	*o = &r->oc;
	size_t			 n;

	r->up = NULL;		/* upstream.c has taken the call back */
	r->up_status = st;
	r->t_up1 = req_now();
	memset(o, 0, sizeof(*o));
	o->up_status = st;
	o->retry_after = r->retry_after;
	o->sent = r->state == RS_STREAMING;
	if (r->ev == NULL) {
		req_outcome(r);		/* the client is gone */
		return;
	}
	if (code != CURLE_OK || st < 200 || st > 299) {
		rly_fail(r, code, cmsg, st);
		req_outcome(r);
		return;
	}
	o->ok = 1;
	o->status = 200;
	if (r->stream) {
		/* A clean end without [DONE]: clients still need one. */
		if (!r->sse_done_sent) {
			evbuffer_add(r->out, "data: [DONE]\n\n", 14);
			r->sse_done_sent = 1;
		}
		req_outcome(r);
		return;
	}
	n = evbuffer_get_length(r->up_body);
	if (r->prov->ops->response(r, r->out,
	    (const char *)evbuffer_pullup(r->up_body, -1), n) != LX_OK) {
		evbuffer_drain(r->out, evbuffer_get_length(r->out));
		o->ok = 0;
		o->status = 500;
		o->cls = "APIError";
		o->type = "internal_server_error";
		o->msg = ar_printf(&r->ar, "litellm.APIError: APIError: %s - "
		    "upstream answered with invalid JSON", r->prov->tag);
	}
	req_outcome(r);
}

static const struct up_ops rly_ops = { rly_header, rly_data, rly_done };

/*
 * A request's own seconds: body member key, else header hdr (NULL: none).
 * 1 with *out set, 0 when neither is given (or is not a number), -1 when
 * the value lies outside what curl's milliseconds can mean.
 */
static int
rly_req_seconds(struct req *r, const char *key, const char *hdr,
    double *out)
{
	const struct js_mem	*m = js_find(r->mem, r->nmem, key);
	const char		*v;
	char			*e;

	if (m != NULL && js_number(m, out) == LX_OK)
		;
	else if (hdr == NULL || r->ev == NULL || (v = evhttp_find_header(
	    evhttp_request_get_input_headers(r->ev), hdr)) == NULL ||
	    (*out = strtod(v, &e), e == v || *e != '\0'))
		return (0);
	return (*out >= REQ_TIMEOUT_MIN && *out <= REQ_TIMEOUT_MAX ? 1 : -1);
}

/*
 * The timeout policy, LiteLLM's order: the request's timeout (body or
 * x-litellm-timeout, checked by the parse stage), its request_timeout,
 * the deployment's, the router's, then litellm_settings.request_timeout
 * (6000 s).  A stream takes the request's stream_timeout (body or
 * x-litellm-stream-timeout), the deployment's, the router's, else the
 * chain above, and is bounded per piece, not as a whole: it may run for
 * minutes.  Sets r->timeout (what messages report) and the two limits;
 * LX_ERR when a request's value is out of range.
 */
static int
rly_timeouts(struct req *r, long *total_ms, long *idle_ms)
{
	const struct cfg	*c = r->cfg;
	const struct cfg_deploy	*d = r->dep;
	double			 t, st, v;
	int			 rc;

	t = d->timeout > 0 ? d->timeout : c->router.timeout > 0 ?
	    c->router.timeout : c->litellm.request_timeout;
	if ((rc = rly_req_seconds(r, "request_timeout", NULL, &v)) < 0)
		return (LX_ERR);
	if (rc > 0)
		t = v;
	if (r->req_timeout > 0)
		t = r->req_timeout;
	r->timeout = t;
	*total_ms = t > 0 ? rly_ms(t) : 0;
	*idle_ms = 0;
	if (r->stream) {
		st = d->stream_timeout > 0 ? d->stream_timeout :
		    c->router.stream_timeout > 0 ? c->router.stream_timeout : t;
		if ((rc = rly_req_seconds(r, "stream_timeout",
		    "x-litellm-stream-timeout", &v)) < 0)
			return (LX_ERR);
		if (rc > 0)
			st = v;
		r->timeout = st;
		*idle_ms = st > 0 ? rly_ms(st) : 0;
		*total_ms = 0;
	}
	return (LX_OK);
}

int
rly_start(struct req *r)
{
	const struct prov_ops	*ops = r->prov->ops;
	struct prov_call	 call;
	long			 total, idle;

	if (r->rd->tgt.url == NULL) {
		err_reply(r, 400, "invalid_request_error", NULL,
		    "litellm.BadRequestError: %s: api_base is required for "
		    "model=%s", r->prov->name, r->dep_model);
		return (LX_ERR);
	}
	memset(&call, 0, sizeof(call));
	/* A recycled request keeps its buffers. */
	if (ops->target(r, &call) != LX_OK || ops->body(r, &call) != LX_OK ||
	    (r->up_body == NULL && (r->up_body = evbuffer_new()) == NULL) ||
	    (r->out == NULL && (r->out = evbuffer_new()) == NULL)) {
		err_reply(r, 500, "internal_server_error", NULL,
		    "out of memory");
		return (LX_ERR);
	}
	if (rly_timeouts(r, &total, &idle) != LX_OK) {
		err_reply(r, 400, "invalid_request_error", "timeout",
		    "%s: timeout must be between %g and %.0f seconds",
		    r->route, REQ_TIMEOUT_MIN, REQ_TIMEOUT_MAX);
		return (LX_ERR);
	}
	r->t_up0 = req_now();
	r->up = up_start(r, &rly_ops, call.url, call.hdrs, call.body,
	    call.blen, total, idle);
	if (r->up == NULL) {
		err_reply(r, 500, "internal_server_error", NULL,
		    "cannot start the upstream call");
		return (LX_ERR);
	}
	if (r->stream)
		req_keepalive_start(r);
	return (LX_AGAIN);
}
