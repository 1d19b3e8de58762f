/*
 * prov_openai.c: OpenAI and the OpenAI-compatible family, as callbacks of
 * the relay (relay.c does the call, the stream and the failures).
 *
 * The request body goes upstream as the client sent it, member by member,
 * minus the fields that only mean something to the proxy, with "model"
 * replaced by the provider's model id.  Answers come back the same way:
 * only "model" is spliced (to the name the client asked for), in whole
 * answers and in each stream event.  The URL is api_base +
 * "/chat/completions"; the key goes as a Bearer header, fixed per
 * deployment, with OpenAI-Organization when the deployment names one.
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
#include "relay.h"
#include "req.h"
#include "route.h"

/*
 * The upstream body: the client's members with model replaced, then the
 * deployment's extra litellm_params (LiteLLM passes unknown ones on to
 * the provider) where the client did not set them.
 */
static int
oai_body(struct req *r, struct prov_call *call)
{
	const struct cfg_deploy	*d = r->dep;
	size_t			 i, n = 16, o;
	char			*b, *q;

	q = js_quote(&r->ar, r->up_model);
	if (q == NULL)
		return (LX_ERR);
	n += strlen(q) + r->blen;
	for (i = 0; i < d->nextra; i++)
		n += strlen(d->extra[i].key) * 6 + strlen(d->extra[i].json) + 8;
	if ((b = ar_alloc(&r->ar, n)) == NULL)
		return (LX_ERR);
	o = (size_t)snprintf(b, n, "{\"model\":%s", q);
	for (i = 0; i < r->nmem; i++) {
		const struct js_mem *m = &r->mem[i];

		if (rly_is_proxy_field(m->key, m->klen))
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
		    rly_is_proxy_field(x->key, strlen(x->key)))
			continue;
		b[o++] = ',';
		o += js_quote_into(b + o, x->key, strlen(x->key));
		b[o++] = ':';
		memcpy(b + o, x->json, strlen(x->json));
		o += strlen(x->json);
	}
	b[o++] = '}';
	b[o] = '\0';
	call->body = b;
	call->blen = o;
	return (LX_OK);
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

static int
oai_event(struct req *r, struct evbuffer *out, const char *data, size_t n)
{
	const char	*q;

	if ((q = req_model_quoted(r)) == NULL)
		return (LX_ERR);
	if (prov_openai_rewrite(r, out, data, n, q) != LX_OK)
		evbuffer_add(out, data, n);	/* not ours to judge */
	return (LX_OK);
}

static int
oai_response(struct req *r, struct evbuffer *out, const char *p, size_t n)
{
	const char	*q;

	if ((q = req_model_quoted(r)) == NULL)
		return (LX_ERR);
	return (prov_openai_rewrite(r, out, p, n, q));
}

/* The message of an upstream error body: error.message, else the text. */
static void
oai_error(struct req *r, struct rly_outcome *o, const char *b, size_t n)
{
	struct js_mem		 m[16], e[16];
	const struct js_mem	*em, *mm;
	size_t			 cnt, ecnt;

	if (js_object(b, n, m, LX_NELEM(m), &cnt, NULL, NULL) == LX_OK &&
	    (em = js_find(m, cnt, "error")) != NULL) {
		if (em->type == JS_STR) {
			o->msg = js_string(&r->ar, em->val, em->vlen);
			return;
		}
		if (em->type == JS_OBJ && js_object(em->val, em->vlen, e,
		    LX_NELEM(e), &ecnt, NULL, NULL) == LX_OK &&
		    (mm = js_find(e, ecnt, "message")) != NULL &&
		    mm->type == JS_STR) {
			o->msg = js_string(&r->ar, mm->val, mm->vlen);
			return;
		}
	}
	o->msg = ar_strndup(&r->ar, b, n > 2000 ? 2000 : n);
}

/* The URL and headers are the deployment's: nothing varies per request. */
static int
oai_target(struct req *r, struct prov_call *call)
{
	call->url = r->rd->tgt.url;
	call->hdrs = r->rd->tgt.hdrs;
	return (LX_OK);
}

static int
oai_prepare(struct prov_target *t, const struct prov *p,
    const struct cfg_deploy *d, struct arena *a)
{
	const char	*key;
	char		*base, *v;
	int		 rc;

	if ((base = prov_api_base(p, d, a)) == NULL)
		return (LX_OK);	/* reported per request */
	if (prov_target_base(t, base, "/chat/completions", a) != LX_OK ||
	    prov_common_headers(t, d, a) != LX_OK)
		return (LX_ERR);
	if ((key = prov_api_key(p, d)) != NULL) {
		t->key = key;
		if ((v = ar_printf(a, "Bearer %s", key)) == NULL)
			return (LX_ERR);
		rc = prov_add_header(t, a, "Authorization", v, 1);
		explicit_bzero(v, strlen(v));
		if (rc != LX_OK)
			return (LX_ERR);
	}
	if (d->organization != NULL &&
	    prov_add_header(t, a, "OpenAI-Organization", d->organization,
	    0) != LX_OK)
		return (LX_ERR);
	return (LX_OK);
}

const struct prov_ops prov_openai_ops = {
	oai_prepare, oai_target, oai_body, oai_response, oai_event, oai_error,
};
