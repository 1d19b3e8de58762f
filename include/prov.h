/*
 * prov.h: stage 4, the provider table (prov.c) and the providers
 * (prov_<name>.c).
 *
 * A provider knows its default base URL and key variables and turns a
 * request into an upstream call and the upstream's answer back into
 * OpenAI's format.  The OpenAI-compatible family shares prov_openai.c.
 */
#ifndef PROV_H
#define PROV_H

#include <stddef.h>

#include "llmux.h"

struct evbuffer;

struct prov {
	const char	*name;		/* the model prefix, "groq" */
	const char	*base;		/* default api_base; NULL: required */
	const char	*base_env;	/* environment override of base */
	const char	*key_env[4];	/* key variables, first set wins */
	const char	*key_default;	/* placeholder when none is set */
	const char	*tag;		/* "OpenAIException" in messages */
	/* Start the upstream call: LX_AGAIN, or LX_ERR after replying. */
	int		(*start)(struct req *);
};

/* The provider named name, or NULL. */
const struct prov *prov_find(const char *name);
/* A model name without a known prefix: the provider LiteLLM infers. */
const char	*prov_infer(const char *model);
/* The provider stage: a mock answer or the upstream call. */
int		 prov_run(struct req *) LX_MUSTCHECK;
/* The api key a deployment uses (config, then environment), or NULL. */
const char	*prov_api_key(const struct prov *, const struct cfg_deploy *);
/* The base URL a deployment uses, without a trailing '/'. */
char		*prov_api_base(const struct prov *, const struct cfg_deploy *,
		    struct arena *);

/* prov_openai.c */
int		 prov_openai_start(struct req *);
/*
 * Append the JSON object obj to out with its top-level "model" replaced
 * by model_q (quoted JSON); keeps usage figures on r.  LX_ERR when obj is
 * not a JSON object.
 */
int		 prov_openai_rewrite(struct req *r, struct evbuffer *out,
		    const char *obj, size_t n, const char *model_q);
/* prov_mock.c: answer from mock_response without any network call. */
int		 prov_mock_run(struct req *, const char *text);

#endif
