/*
 * modelinfo.c: GET /model/info (also /v1/model/info) and GET
 * /model_group/info, in LiteLLM's shapes.
 *
 * /model/info lists the deployments: {"data": [{"model_name",
 * "litellm_params", "model_info"}]}.  litellm_params holds only the
 * fields below, never api_key, the credentials or the extra params (which
 * may carry headers with keys), and api_base as the response headers show
 * it (no userinfo, no query).  model_info is the deployment's, completed
 * from the price map as LiteLLM completes it from its own.
 *
 * /model_group/info lists one ModelGroupInfo per model group: providers,
 * the largest context and prices of its deployments, the sum of their
 * rpm and tpm.  Both read the worker's routing table and the config of
 * its generation only; who may see which model is mdl_may_use's to say.
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "cfg.h"
#include "err.h"
#include "json.h"
#include "modelinfo.h"
#include "models.h"
#include "price.h"
#include "req.h"
#include "route.h"
#include "worker.h"

/* What LiteLLM lists as an OpenAI-compatible chat model's parameters. */
static const char mi_openai_params[] =
    "[\"frequency_penalty\",\"logit_bias\",\"logprobs\",\"top_logprobs\","
    "\"max_tokens\",\"max_completion_tokens\",\"modalities\",\"prediction\","
    "\"n\",\"presence_penalty\",\"seed\",\"stop\",\"stream\","
    "\"stream_options\",\"temperature\",\"top_p\",\"tools\","
    "\"tool_choice\",\"function_call\",\"functions\",\"max_retries\","
    "\"extra_headers\",\"parallel_tool_calls\",\"response_format\","
    "\"user\"]";

/* ,"key":"value" or ,"key":null; value raw text, quoted here. */
static int
mi_str(struct req *r, struct evbuffer *b, const char *key, const char *v)
{
	const char	*q;

	if (v == NULL)
		return (evbuffer_add_printf(b, ",\"%s\":null", key) < 0 ?
		    LX_ERR : LX_OK);
	if ((q = js_quote(&r->ar, v)) == NULL)
		return (LX_ERR);
	return (evbuffer_add_printf(b, ",\"%s\":%s", key, q) < 0 ? LX_ERR :
	    LX_OK);
}

/* ,"key":n, or null when n < 0 (unset). */
static void
mi_long(struct evbuffer *b, const char *key, long n)
{
	if (n < 0)
		evbuffer_add_printf(b, ",\"%s\":null", key);
	else
		evbuffer_add_printf(b, ",\"%s\":%ld", key, n);
}

static void
mi_num(struct evbuffer *b, const char *key, double n)
{
	if (n < 0)
		evbuffer_add_printf(b, ",\"%s\":null", key);
	else
		evbuffer_add_printf(b, ",\"%s\":%.10g", key, n);
}

static int
mi_strv(struct req *r, struct evbuffer *b, const char *key,
    const struct cfg_strv *v)
{
	const char	*q;
	size_t		 i;

	evbuffer_add_printf(b, ",\"%s\":[", key);
	for (i = 0; i < v->n; i++) {
		if ((q = js_quote(&r->ar, v->v[i])) == NULL)
			return (LX_ERR);
		evbuffer_add_printf(b, "%s%s", i > 0 ? "," : "", q);
	}
	evbuffer_add(b, "]", 1);
	return (LX_OK);
}

/* The value of query parameter name of r's URI, or NULL. */
static const char *
mi_query(struct req *r, const char *name)
{
	const struct evhttp_uri	*u;
	struct evkeyvalq	 q;
	const char		*qs, *v, *out = NULL;

	if (r->ev == NULL ||
	    (u = evhttp_request_get_evhttp_uri(r->ev)) == NULL ||
	    (qs = evhttp_uri_get_query(u)) == NULL)
		return (NULL);
	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(qs, &q) != 0)
		return (NULL);
	if ((v = evhttp_find_header(&q, name)) != NULL)
		out = ar_strdup(&r->ar, v);
	evhttp_clear_headers(&q);
	return (out);
}

/* One deployment's litellm_params: what is safe to show. */
static int
mi_params(struct req *r, struct evbuffer *b, const struct rt_deploy *rd)
{
	const struct cfg_deploy	*d = rd->cfg;
	int			 rc = 0;

	if ((rc = mi_str(r, b, "litellm_params\":{\"model", d->model)) != 0)
		return (rc);
	if (rd->tgt.api_base != NULL)
		rc |= mi_str(r, b, "api_base", rd->tgt.api_base);
	if (d->api_version != NULL)
		rc |= mi_str(r, b, "api_version", d->api_version);
	if (d->custom_llm_provider != NULL)
		rc |= mi_str(r, b, "custom_llm_provider",
		    d->custom_llm_provider);
	if (d->region_name != NULL)
		rc |= mi_str(r, b, "region_name", d->region_name);
	if (d->base_model != NULL)
		rc |= mi_str(r, b, "base_model", d->base_model);
	if (d->mock_response != NULL)
		rc |= mi_str(r, b, "mock_response", d->mock_response);
	if (d->rpm >= 0)
		mi_long(b, "rpm", d->rpm);
	if (d->tpm >= 0)
		mi_long(b, "tpm", d->tpm);
	if (d->weight >= 0)
		mi_num(b, "weight", d->weight);
	if (d->order >= 0)
		mi_long(b, "order", d->order);
	if (d->timeout >= 0)
		mi_num(b, "timeout", d->timeout);
	if (d->stream_timeout >= 0)
		mi_num(b, "stream_timeout", d->stream_timeout);
	if (d->max_retries >= 0)
		mi_long(b, "max_retries", d->max_retries);
	if (d->num_retries >= 0)
		mi_long(b, "num_retries", d->num_retries);
	if (d->max_parallel_requests >= 0)
		mi_long(b, "max_parallel_requests", d->max_parallel_requests);
	if (d->input_cost_per_token >= 0)
		mi_num(b, "input_cost_per_token", d->input_cost_per_token);
	if (d->output_cost_per_token >= 0)
		mi_num(b, "output_cost_per_token", d->output_cost_per_token);
	if (d->tags.n > 0)
		rc |= mi_strv(r, b, "tags", &d->tags);
	evbuffer_add(b, "}", 1);
	return (rc != 0 ? LX_ERR : LX_OK);
}

/* The price map's row for d, by base_model, then model. */
static const struct price_row *
mi_price(const struct cfg_deploy *d)
{
	const struct price_row	*p;

	if (d->base_model != NULL)
		return (price_find(d->base_model));
	if ((p = price_find(d->model)) == NULL)
		p = price_find(d->upstream_model);
	return (p);
}

static int
mi_deploy(struct req *r, struct evbuffer *b, const struct rt_deploy *rd)
{
	const struct cfg_deploy	*d = rd->cfg;
	const struct price_row	*p = mi_price(d);
	const char		*q;
	double			 in, out;

	if ((q = js_quote(&r->ar, d->model_name)) == NULL)
		return (LX_ERR);
	evbuffer_add_printf(b, "{\"model_name\":%s", q);
	if (mi_params(r, b, rd) != LX_OK ||
	    mi_str(r, b, "model_info\":{\"id", d->id) != LX_OK)
		return (LX_ERR);
	evbuffer_add_printf(b, ",\"db_model\":false");
	if (mi_str(r, b, "key", p != NULL ? p->name : d->model) != LX_OK ||
	    mi_str(r, b, "mode", d->mode != NULL ? d->mode : "chat") !=
	    LX_OK || mi_str(r, b, "litellm_provider", d->provider) != LX_OK ||
	    mi_str(r, b, "base_model", d->base_model) != LX_OK)
		return (LX_ERR);
	mi_long(b, "max_tokens", d->max_tokens);
	mi_long(b, "max_input_tokens", rt_max_input(d));
	mi_long(b, "max_output_tokens", d->max_output_tokens);
	in = d->input_cost_per_token;
	out = d->output_cost_per_token;
	if (in < 0 && p != NULL)
		in = p->input_cost_per_token;
	if (out < 0 && p != NULL)
		out = p->output_cost_per_token;
	mi_num(b, "input_cost_per_token", in);
	mi_num(b, "output_cost_per_token", out);
	evbuffer_add(b, "}}", 2);
	return (LX_OK);
}

static void
mi_send(struct req *r, struct evbuffer *b)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->ev),
	    "Content-Type", "application/json");
	req_reply(r, 200, b);
	evbuffer_free(b);
	req_finish(r);
}

static void
mi_oom(struct req *r, struct evbuffer *b)
{
	if (b != NULL)
		evbuffer_free(b);
	err_reply(r, 500, "internal_server_error", NULL, "out of memory");
}

void
mi_model_info(struct req *r, const char *arg)
{
	const struct rt_table	*t = wrk_routes(r->w);
	const struct rt_deploy	*rd;
	struct evbuffer		*b;
	const char		*id = mi_query(r, "litellm_model_id");
	size_t			 i;
	int			 n = 0;

	if ((b = evbuffer_new()) == NULL) {
		mi_oom(r, NULL);
		return;
	}
	evbuffer_add_printf(b, "{\"data\":[");
	for (i = 0; i < t->ndeploy; i++) {
		rd = &t->deploy[i];
		if (id != NULL && strcmp(rd->cfg->id, id) != 0)
			continue;
		if (!mdl_may_use(r, rd->cfg->model_name))
			continue;
		if (n++ > 0)
			evbuffer_add(b, ",", 1);
		if (mi_deploy(r, b, rd) != LX_OK) {
			mi_oom(r, b);
			return;
		}
	}
	if (id != NULL && n == 0) {
		evbuffer_free(b);
		err_reply(r, 400, NULL, NULL, "Model id = %s not found on "
		    "litellm proxy", id);
		return;
	}
	evbuffer_add_printf(b, "]}");
	mi_send(r, b);
}

/* One ModelGroupInfo for group g, listed under name. */
static int
mi_group(struct req *r, struct evbuffer *b, const char *name,
    const struct rt_group *g)
{
	const struct cfg_deploy	*d;
	const struct price_row	*p;
	const char		*q, *mode = NULL;
	double			 in = -1, out = -1, v;
	long			 maxin = -1, maxout = -1, rpm = -1, tpm = -1, m;
	size_t			 i, j;
	int			 openai = 1;

	if ((q = js_quote(&r->ar, name)) == NULL)
		return (LX_ERR);
	evbuffer_add_printf(b, "{\"model_group\":%s,\"providers\":[", q);
	for (i = 0; i < g->n; i++) {
		d = g->d[i]->cfg;
		for (j = 0; j < i; j++)
			if (strcmp(g->d[j]->cfg->provider, d->provider) == 0)
				break;
		if (j == i) {
			if ((q = js_quote(&r->ar, d->provider)) == NULL)
				return (LX_ERR);
			evbuffer_add_printf(b, "%s%s", i > 0 ? "," : "", q);
		}
		/* The group's figures are its deployments' largest. */
		p = mi_price(d);
		if ((m = rt_max_input(d)) > maxin)
			maxin = m;
		if (d->max_output_tokens > maxout)
			maxout = d->max_output_tokens;
		v = d->input_cost_per_token >= 0 ? d->input_cost_per_token :
		    p != NULL ? p->input_cost_per_token : -1;
		if (v > in)
			in = v;
		v = d->output_cost_per_token >= 0 ? d->output_cost_per_token :
		    p != NULL ? p->output_cost_per_token : -1;
		if (v > out)
			out = v;
		/* rpm and tpm add up across the group. */
		if (d->rpm >= 0)
			rpm = (rpm < 0 ? 0 : rpm) + d->rpm;
		if (d->tpm >= 0)
			tpm = (tpm < 0 ? 0 : tpm) + d->tpm;
		if (mode == NULL && d->mode != NULL)
			mode = d->mode;
		if (g->d[i]->prov == NULL || g->d[i]->prov->ops == NULL)
			openai = 0;
	}
	evbuffer_add(b, "]", 1);
	mi_long(b, "max_input_tokens", maxin);
	mi_long(b, "max_output_tokens", maxout);
	mi_num(b, "input_cost_per_token", in);
	mi_num(b, "output_cost_per_token", out);
	if (mi_str(r, b, "mode", mode != NULL ? mode : "chat") != LX_OK)
		return (LX_ERR);
	mi_long(b, "tpm", tpm);
	mi_long(b, "rpm", rpm);
	evbuffer_add_printf(b, ",\"supports_parallel_function_calling\":false,"
	    "\"supports_vision\":false,\"supports_function_calling\":false,"
	    "\"supported_openai_params\":%s,"
	    "\"configurable_clientside_auth_params\":null}",
	    openai ? mi_openai_params : "[]");
	return (LX_OK);
}

void
mi_group_info(struct req *r, const char *arg)
{
	const struct rt_table	*t = wrk_routes(r->w);
	const struct cfg	*c = r->cfg;
	const struct rt_group	*g;
	struct evbuffer		*b;
	const char		*only = mi_query(r, "model_group"), *name;
	size_t			 i, k;
	int			 n = 0;

	if ((b = evbuffer_new()) == NULL) {
		mi_oom(r, NULL);
		return;
	}
	evbuffer_add_printf(b, "{\"data\":[");
	for (i = 0; i < t->ngroups + c->router.nalias; i++) {
		if (i < t->ngroups) {
			g = &t->groups[i];
			name = g->name;
		} else {
			/* A visible alias is listed as a group of its own. */
			if (c->router.alias[i - t->ngroups].hidden)
				continue;
			name = c->router.alias[i - t->ngroups].alias;
			for (k = 0, g = NULL; k < t->ngroups; k++)
				if (strcmp(t->groups[k].name,
				    c->router.alias[i - t->ngroups].group) == 0)
					g = &t->groups[k];
			if (g == NULL)
				continue;
		}
		if ((only != NULL && strcmp(only, name) != 0) ||
		    !mdl_may_use(r, name))
			continue;
		if (n++ > 0)
			evbuffer_add(b, ",", 1);
		if (mi_group(r, b, name, g) != LX_OK) {
			mi_oom(r, b);
			return;
		}
	}
	evbuffer_add_printf(b, "]}");
	mi_send(r, b);
}
