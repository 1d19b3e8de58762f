/*
 * prov_openai.c: OpenAI and the OpenAI-compatible family.
 *
 * The request body goes upstream as the client sent it, member by member,
 * minus the fields that only mean something to the proxy, with "model"
 * replaced by the provider's model id.  Answers come back the same way:
 * only "model" is spliced (to the name the client asked for).  Streams are
 * relayed event by event as they arrive, never buffered whole.
 */
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
#include "json.h"
#include "log.h"
#include "prov.h"
#include "req.h"
#include "route.h"
#include "upstream.h"

/* Bytes waiting for a slow client before the upstream is paused. */
#define OAI_BACKLOG_MAX	(256 * 1024)

/* Request fields LiteLLM consumes itself and never forwards. */
static const char *const oai_strip[] = {
	"model", "mock_response", "mock_tool_calls", "metadata",
	"litellm_metadata", "tags", "fallbacks", "context_window_fallbacks",
	"content_policy_fallbacks", "num_retries", "timeout", "stream_timeout",
	"disable_fallbacks", "caching", "cache", "api_key", "api_base",
	"base_url", "api_version", "priority", "litellm_call_id",
	"litellm_trace_id", "litellm_session_id", "user_config", "guardrails",
	"proxy_server_request", "secret_fields", "max_retries",
	"mock_testing_fallbacks", "mock_timeout", "drop_params",
	"additional_drop_params", "input_cost_per_token",
	"output_cost_per_token", "model_list", "spend_logs_metadata",
	"extra_headers",	/* HTTP headers, added by route.c */
};

static int
oai_stripped(const char *key, size_t klen)
{
	size_t	i;

	for (i = 0; i < LX_NELEM(oai_strip); i++)
		if (strlen(oai_strip[i]) == klen &&
		    memcmp(oai_strip[i], key, klen) == 0)
			return (1);
	return (0);
}

/*
 * The upstream body: the client's members with model replaced, then the
 * deployment's extra litellm_params (LiteLLM passes unknown ones on to
 * the provider) where the client did not set them.
 */
static char *
oai_body(struct req *r, size_t *len)
{
	const struct cfg_deploy	*d = r->dep;
	size_t			 i, n = 16, o;
	char			*b, *q;

	q = js_quote(&r->ar, r->up_model);
	if (q == NULL)
		return (NULL);
	n += strlen(q) + r->blen;
	for (i = 0; i < d->nextra; i++)
		n += strlen(d->extra[i].key) * 6 + strlen(d->extra[i].json) + 8;
	if ((b = ar_alloc(&r->ar, n)) == NULL)
		return (NULL);
	o = (size_t)snprintf(b, n, "{\"model\":%s", q);
	for (i = 0; i < r->nmem; i++) {
		const struct js_mem *m = &r->mem[i];

		if (oai_stripped(m->key, m->klen))
			continue;
		b[o++] = ',';
		/* The key with its quotes, as the client wrote it. */
		memcpy(b + o, m->key - 1, m->klen + 2);
		o += m->klen + 2;
		b[o++] = ':';
		memcpy(b + o, m->val, m->vlen);
		o += m->vlen;
	}
	for (i = 0; i < d->nextra; i++) {
		const struct cfg_extra *x = &d->extra[i];

		if (x->known || js_find(r->mem, r->nmem, x->key) != NULL ||
		    oai_stripped(x->key, strlen(x->key)))
			continue;
		b[o++] = ',';
		o += js_quote_into(b + o, x->key, strlen(x->key));
		b[o++] = ':';
		memcpy(b + o, x->json, strlen(x->json));
		o += strlen(x->json);
	}
	b[o++] = '}';
	b[o] = '\0';
	*len = o;
	return (b);
}

/*
 * Append obj (a JSON object) to out with its top-level "model" replaced by
 * model_q (already quoted).  Usage figures are kept on the request.
 */
int
prov_openai_rewrite(struct req *r, struct evbuffer *out, const char *obj,
    size_t n, const char *model_q)
{
	struct js_mem		 m[32], u[8];
	const struct js_mem	*mm, *um, *t;
	size_t			 cnt, ucnt;
	double			 v;

	if (js_object(obj, n, m, LX_NELEM(m), &cnt, NULL, NULL) != LX_OK)
		return (LX_ERR);
	if ((um = js_find(m, cnt, "usage")) != NULL &&
	    um->type == JS_OBJ && js_object(um->val, um->vlen, u,
	    LX_NELEM(u), &ucnt, NULL, NULL) == LX_OK) {
		if ((t = js_find(u, ucnt, "prompt_tokens")) != NULL &&
		    js_number(t, &v) == LX_OK)
			r->prompt_tokens = (long)v;
		if ((t = js_find(u, ucnt, "completion_tokens")) != NULL &&
		    js_number(t, &v) == LX_OK)
			r->completion_tokens = (long)v;
	}
	mm = js_find(m, cnt, "model");
	if (mm == NULL) {
		evbuffer_add(out, obj, n);
		return (LX_OK);
	}
	evbuffer_add(out, obj, (size_t)(mm->val - obj));
	evbuffer_add(out, model_q, strlen(model_q));
	evbuffer_add(out, mm->val + mm->vlen,
	    n - (size_t)(mm->val + mm->vlen - obj));
	return (LX_OK);
}

static void
oai_header(struct req *r, const char *line, size_t n)
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

struct oai_ctx {
	struct req	*r;
	const char	*model_q;
};

static int
oai_event(void *arg, const char *data, size_t n)
{
	struct oai_ctx	*x = arg;
	struct req	*r = x->r;

	evbuffer_add(r->out, "data: ", 6);
	if (prov_openai_rewrite(r, r->out, data, n, x->model_q) != LX_OK)
		evbuffer_add(r->out, data, n);	/* not ours to judge */
	evbuffer_add(r->out, "\n\n", 2);
	return (LX_OK);
}

static int
oai_data(struct req *r, const char *p, size_t n)
{
	struct oai_ctx	x;
	long		status = up_status(r->up);

	if (r->ev == NULL)
		return (-1);
	if (status < 200 || status > 299 || !r->stream) {
		/* Whole bodies: a non-stream answer or any error. */
		if (evbuffer_get_length(r->up_body) + n > 64 * 1024 * 1024)
			return (-1);
		evbuffer_add(r->up_body, p, n);
		return (0);
	}
	/*
	 * A client reading slower than the upstream sends: stop taking
	 * bytes (curl pauses the transfer, TCP pushes back upstream) until
	 * what waits for the client has drained.  Memory per stream stays
	 * bounded whatever the client does.
	 */
	if (r->started && req_client_backlog(r) > OAI_BACKLOG_MAX)
		return (1);
	req_keepalive_touch(r);
	if (!r->started)
		req_stream_start(r);
	x.r = r;
	if ((x.model_q = req_model_quoted(r)) == NULL)
		return (-1);
	if (strm_feed(&r->sse, p, n, oai_event, &x) != LX_OK)
		return (-1);
	if (r->sse.done && !r->sse_done_sent) {
		evbuffer_add(r->out, "data: [DONE]\n\n", 14);
		r->sse_done_sent = 1;
	}
	req_stream_flush(r);
	return (0);
}

/* The message of an upstream error body: error.message, else the text. */
static const char *
oai_errmsg(struct req *r, const char *b, size_t n)
{
	struct js_mem		 m[16], e[16];
	const struct js_mem	*em, *mm;
	size_t			 cnt, ecnt;

	if (js_object(b, n, m, LX_NELEM(m), &cnt, NULL, NULL) == LX_OK &&
	    (em = js_find(m, cnt, "error")) != NULL) {
		if (em->type == JS_STR)
			return (js_string(&r->ar, em->val, em->vlen));
		if (em->type == JS_OBJ && js_object(em->val, em->vlen, e,
		    LX_NELEM(e), &ecnt, NULL, NULL) == LX_OK &&
		    (mm = js_find(e, ecnt, "message")) != NULL &&
		    mm->type == JS_STR)
			return (js_string(&r->ar, mm->val, mm->vlen));
	}
	return (ar_strndup(&r->ar, b, n > 2000 ? 2000 : n));
}

static void
oai_done(struct req *r, int code, const char *cmsg)
{
	const char	*tag = r->prov->tag, *msg, *cls, *q;
	struct evbuffer	*b;
	long		 st;
	size_t		 n;

	st = r->up_status;	/* upstream.c has cleared r->up */
	r->t_up1 = req_now();
	if (r->ev == NULL) {
		req_finish(r);
		return;
	}
	if (code == CURLE_OPERATION_TIMEDOUT) {
		double took = (double)(r->t_up1 - r->t_up0) / 1e9;

		err_reply(r, 408, NULL, NULL, "litellm.Timeout: "
		    "APITimeoutError - Request timed out. Error_str: Request "
		    "timed out. - timeout value=%.1f, time taken=%.1f seconds",
		    r->timeout, took);
		return;
	}
	if (code != CURLE_OK) {
		if (r->started)
			err_reply(r, 500, "internal_server_error", NULL,
			    "litellm.APIConnectionError: %s - upstream stream "
			    "broken: %s", tag, cmsg);
		else
			err_reply(r, 500, "internal_server_error", NULL,
			    "litellm.APIConnectionError: APIConnectionError: "
			    "%s - %s", tag, cmsg);
		return;
	}
	n = evbuffer_get_length(r->up_body);
	if (st < 200 || st > 299) {
		msg = oai_errmsg(r, (const char *)evbuffer_pullup(r->up_body,
		    -1), n);
		cls = err_class((int)st);
		err_reply(r, st >= 400 && st <= 599 ? (int)st : 502, NULL,
		    NULL, "litellm.%s: %s: %s - %s", cls, cls, tag,
		    msg ? msg : "");
		return;
	}
	if (r->stream) {
		if (!r->started)
			req_stream_start(r);
		/* A clean end without [DONE]: clients still need one. */
		if (!r->sse_done_sent) {
			evbuffer_add(r->out, "data: [DONE]\n\n", 14);
			r->sse_done_sent = 1;
			req_stream_flush(r);
		}
		req_finish(r);
		return;
	}
	if ((b = evbuffer_new()) == NULL ||
	    (q = req_model_quoted(r)) == NULL ||
	    prov_openai_rewrite(r, b, (const char *)evbuffer_pullup(r->up_body, -1),
	    n, q) != LX_OK) {
		if (b != NULL)
			evbuffer_free(b);
		err_reply(r, 500, "internal_server_error", NULL,
		    "litellm.APIError: APIError: %s - upstream answered with "
		    "invalid JSON", tag);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(r->ev),
	    "Content-Type", "application/json");
	req_reply(r, 200, b);
	evbuffer_free(b);
	req_finish(r);
}

static const struct up_ops oai_ops = { oai_header, oai_data, oai_done };

int
prov_openai_start(struct req *r)
{
	const struct rt_deploy	*rd = r->rd;
	const struct cfg	*c = r->cfg;
	const struct cfg_deploy	*d = r->dep;
	char			*body;
	size_t			 blen;
	double			 t, st;
	long			 idle = 0;

	if (rd->url == NULL) {
		err_reply(r, 400, "invalid_request_error", NULL,
		    "litellm.BadRequestError: %s: api_base is required for "
		    "model=%s", r->prov->name, r->dep_model);
		return (LX_ERR);
	}
	if ((body = oai_body(r, &blen)) == NULL) {
		err_reply(r, 500, "internal_server_error", NULL,
		    "out of memory");
		return (LX_ERR);
	}
	/* Deployment, then router, then litellm_settings (6000 s). */
	t = d->timeout > 0 ? d->timeout : c->router.timeout > 0 ?
	    c->router.timeout : c->litellm.request_timeout;
	if (r->req_timeout > 0)
		t = r->req_timeout;
	r->timeout = t;
	if (r->stream) {
		/*
		 * stream_timeout bounds the wait for each piece of a stream,
		 * not the whole answer, which may run for minutes.
		 */
		st = d->stream_timeout > 0 ? d->stream_timeout :
		    c->router.stream_timeout > 0 ? c->router.stream_timeout : t;
		r->timeout = st;
		idle = (long)(st * 1000);
		t = 0;
	}
	/* A recycled request keeps its buffers. */
	if ((r->up_body == NULL && (r->up_body = evbuffer_new()) == NULL) ||
	    (r->out == NULL && (r->out = evbuffer_new()) == NULL)) {
		err_reply(r, 500, "internal_server_error", NULL,
		    "out of memory");
		return (LX_ERR);
	}
	r->t_up0 = req_now();
	r->up = up_start(r, &oai_ops, rd->url, rd->hdrs, body, blen,
	    t > 0 ? (long)(t * 1000) : 0, idle);
	if (r->up != NULL && r->stream)
		req_keepalive_start(r);
	if (r->up == NULL) {
		err_reply(r, 500, "internal_server_error", NULL,
		    "cannot start the upstream call");
		return (LX_ERR);
	}
	return (LX_AGAIN);
}
