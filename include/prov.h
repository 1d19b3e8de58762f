/*
 * prov.h: stage 5, the provider table (prov.c) and the providers
 * (prov_<name>.c).
 *
 * A provider knows its default base URL and key variables and translates:
 * a request into an upstream call, the upstream's answer back into
 * OpenAI's format.  Everything else about the call (timeouts, streaming,
 * backpressure, classification of failures, the outcome handed to req.c)
 * is the relay's (relay.h), shared by every provider, in the way nginx's
 * upstream modules plug into ngx_http_upstream.c.
 *
 * Adding a provider
 *
 *   1. Write src/prov_<name>.c defining a const struct prov_ops
 *      prov_<name>_ops (declare it below):
 *      prepare   once per deployment and worker: the URL and the headers
 *                that never change (the key, fixed at startup), and the
 *                api_base shown to clients (prov_target_base() strips
 *                userinfo and query);
 *      target    per request: the URL and header list of this call
 *                (Azure's deployment URL and api-version, Bedrock's SigV4
 *                signature); return the prepared ones when nothing varies;
 *      body      per request: the upstream body (skip the fields
 *                rly_is_proxy_field() names);
 *      response  a whole 2xx answer, translated into OpenAI's JSON;
 *      event     one SSE event's data, translated into one OpenAI chunk
 *                (the relay writes "data: " and the blank line);
 *      error     an error answer: the upstream's message and, when the
 *                provider knows better than the status, the LiteLLM class.
 *   2. Point the provider's row in prov_table[] (prov.c) at those ops.
 *   3. Add a tests/integ file against tests/mock/ speaking that wire format.
 * Rows whose ops are NULL are providers LiteLLM knows and llmux does not
 * serve yet: their configs load, their requests get a clear 400.
 */
#ifndef PROV_H
#define PROV_H

#include <stddef.h>

#include "llmux.h"

struct evbuffer;
struct curl_slist;
struct rly_outcome;
struct prov;

/* What a provider prepares once per deployment (route.c keeps it). */
struct prov_target {
	const char		*url;		/* NULL: no api_base known */
	const char		*api_base;	/* shown: no userinfo, no query */
	const char		*key;		/* redacted from upstream text */
	struct curl_slist	*hdrs;		/* sent on every call */
};

/* One upstream call as a provider builds it for a request. */
struct prov_call {
	const char		*url;
	const struct curl_slist	*hdrs;
	const char		*body;		/* in r->ar */
	size_t			 blen;
};

struct prov_ops {
	int	(*prepare)(struct prov_target *, const struct prov *,
		    const struct cfg_deploy *, struct arena *);
	int	(*target)(struct req *, struct prov_call *);
	int	(*body)(struct req *, struct prov_call *);
	int	(*response)(struct req *, struct evbuffer *out, const char *p,
		    size_t n);
	int	(*event)(struct req *, struct evbuffer *out, const char *p,
		    size_t n);
	void	(*error)(struct req *, struct rly_outcome *, const char *p,
		    size_t n);
};

struct prov {
	const char		*name;		/* the model prefix, "groq" */
	const char		*base;		/* default api_base; NULL: required */
	const char		*base_env;	/* environment override of base */
	const char		*key_env[4];	/* key variables, first set wins */
	const char		*key_default;	/* placeholder when none is set */
	const char		*tag;		/* "OpenAIException" in messages */
	const struct prov_ops	*ops;		/* NULL: not served yet */
};

/* The provider named name, or NULL. */
const struct prov *prov_find(const char *name);
/* A model name without a known prefix: the provider LiteLLM infers. */
const char	*prov_infer(const char *model);
/* The provider stage: a mock answer, or the call through the relay. */
int		 prov_run(struct req *) LX_MUSTCHECK;
/* The api key a deployment uses (config, then environment), or NULL. */
const char	*prov_api_key(const struct prov *, const struct cfg_deploy *);
/* The base URL a deployment uses, without a trailing '/', in a. */
char		*prov_api_base(const struct prov *, const struct cfg_deploy *,
		    struct arena *);
/*
 * Fill t->url with base + path, the base's query string (?key=...) moved
 * to the end, and t->api_base with the base as shown to clients: without
 * userinfo and query.  LX_ERR when out of memory.
 */
int		 prov_target_base(struct prov_target *t, const char *base,
		    const char *path, struct arena *a) LX_MUSTCHECK;
/*
 * Append the headers every JSON provider sends (Content-Type, no Expect)
 * and a deployment's litellm_params.extra_headers to t->hdrs.
 */
int		 prov_common_headers(struct prov_target *t,
		    const struct cfg_deploy *, struct arena *) LX_MUSTCHECK;
/*
 * Append "name: value" to t->hdrs.  A secret value is wiped from a once
 * curl has its copy; route.c wipes curl's copy when the table goes.
 */
int		 prov_add_header(struct prov_target *t, struct arena *a,
		    const char *name, const char *value, int secret)
		    LX_MUSTCHECK;

/* prov_openai.c: OpenAI and the OpenAI-compatible family. */
extern const struct prov_ops prov_openai_ops;
/*
 * Append the JSON object obj to out with its top-level "model" replaced
 * by model_q (quoted JSON); keeps usage figures on r.  LX_ERR when obj is
 * not a JSON object.
 */
int		 prov_openai_rewrite(struct req *r, struct evbuffer *out,
		    const char *obj, size_t n, const char *model_q);
/*
 * prov_mock.c: answer from mock_response without any network call; the
 * answer is left in r->out and r->oc for req_outcome().
 */
int		 prov_mock_run(struct req *, const char *text);

#endif
