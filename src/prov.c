/*
 * prov.c: the provider table, the provider stage and what providers share
 * to prepare a deployment (URL, common headers).
 *
 * Adding a provider: see the comment at the top of prov.h.  A row points at
 * its provider's callbacks (struct prov_ops); rows with ops == NULL are
 * providers LiteLLM knows and llmux does not serve yet: their configs load,
 * their requests get a clear 400.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "arena.h"
#include "cfg.h"
#include "err.h"
#include "json.h"
#include "prov.h"
#include "relay.h"
#include "req.h"

#define OAI	"OpenAIException"

static const struct prov prov_table[] = {
	{ "openai", "https://api.openai.com/v1", "OPENAI_BASE_URL",
	    { "OPENAI_API_KEY" }, NULL, OAI, &prov_openai_ops },
	{ "text-completion-openai", "https://api.openai.com/v1",
	    "OPENAI_BASE_URL", { "OPENAI_API_KEY" }, NULL, OAI,
	    &prov_openai_ops },
	{ "custom_openai", NULL, NULL, { "OPENAI_API_KEY" }, NULL, OAI,
	    &prov_openai_ops },
	{ "groq", "https://api.groq.com/openai/v1", "GROQ_API_BASE",
	    { "GROQ_API_KEY" }, NULL, "GroqException", &prov_openai_ops },
	{ "mistral", "https://api.mistral.ai/v1", "MISTRAL_API_BASE",
	    { "MISTRAL_API_KEY", "MISTRAL_AZURE_API_KEY" }, NULL,
	    "MistralException", &prov_openai_ops },
	{ "codestral", "https://codestral.mistral.ai/v1", NULL,
	    { "CODESTRAL_API_KEY" }, NULL, "CodestralException",
	    &prov_openai_ops },
	{ "together_ai", "https://api.together.xyz/v1", "TOGETHER_AI_API_BASE",
	    { "TOGETHER_API_KEY", "TOGETHER_AI_API_KEY", "TOGETHERAI_API_KEY",
	    "TOGETHER_AI_TOKEN" }, NULL, "Together_aiException",
	    &prov_openai_ops },
	{ "deepseek", "https://api.deepseek.com/beta", "DEEPSEEK_API_BASE",
	    { "DEEPSEEK_API_KEY" }, NULL, "DeepseekException",
	    &prov_openai_ops },
	{ "openrouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_BASE",
	    { "OPENROUTER_API_KEY", "OR_API_KEY" }, NULL,
	    "OpenrouterException", &prov_openai_ops },
	{ "hosted_vllm", NULL, "HOSTED_VLLM_API_BASE",
	    { "HOSTED_VLLM_API_KEY" }, "fake-api-key", "Hosted_vllmException",
	    &prov_openai_ops },
	{ "fireworks_ai", "https://api.fireworks.ai/inference/v1",
	    "FIREWORKS_API_BASE", { "FIREWORKS_API_KEY", "FIREWORKS_AI_API_KEY",
	    "FIREWORKSAI_API_KEY", "FIREWORKS_AI_TOKEN" }, NULL,
	    "Fireworks_aiException", &prov_openai_ops },
	{ "perplexity", "https://api.perplexity.ai", "PERPLEXITY_API_BASE",
	    { "PERPLEXITYAI_API_KEY", "PERPLEXITY_API_KEY" }, NULL,
	    "PerplexityException", &prov_openai_ops },
	{ "xai", "https://api.x.ai/v1", "XAI_API_BASE", { "XAI_API_KEY" },
	    NULL, "XaiException", &prov_openai_ops },
	{ "cerebras", "https://api.cerebras.ai/v1", "CEREBRAS_API_BASE",
	    { "CEREBRAS_API_KEY" }, NULL, "CerebrasException",
	    &prov_openai_ops },
	{ "deepinfra", "https://api.deepinfra.com/v1/openai",
	    "DEEPINFRA_API_BASE", { "DEEPINFRA_API_KEY" }, NULL,
	    "DeepinfraException", &prov_openai_ops },
	{ "lm_studio", NULL, "LM_STUDIO_API_BASE", { "LM_STUDIO_API_KEY" },
	    "fake-api-key", "Lm_studioException", &prov_openai_ops },
	{ "nvidia_nim", "https://integrate.api.nvidia.com/v1", NULL,
	    { "NVIDIA_NIM_API_KEY" }, NULL, "Nvidia_nimException",
	    &prov_openai_ops },
	{ "sambanova", "https://api.sambanova.ai/v1", NULL,
	    { "SAMBANOVA_API_KEY" }, NULL, "SambanovaException",
	    &prov_openai_ops },
	{ "github", "https://models.inference.ai.azure.com", NULL,
	    { "GITHUB_API_KEY" }, NULL, "GithubException", &prov_openai_ops },
	{ "meta_llama", "https://api.llama.com/compat/v1", NULL,
	    { "LLAMA_API_KEY" }, NULL, "Meta_llamaException",
	    &prov_openai_ops },
	{ "litellm_proxy", NULL, "LITELLM_PROXY_API_BASE",
	    { "LITELLM_PROXY_API_KEY" }, NULL, "Litellm_proxyException",
	    &prov_openai_ops },
	/* Known to LiteLLM; their translations are still to come. */
	{ "azure", NULL, "AZURE_API_BASE", { "AZURE_API_KEY" }, NULL,
	    "AzureException", NULL },
	{ "azure_ai", NULL, "AZURE_AI_API_BASE", { "AZURE_AI_API_KEY" }, NULL,
	    "Azure_aiException", NULL },
	{ "anthropic", "https://api.anthropic.com", "ANTHROPIC_API_BASE",
	    { "ANTHROPIC_API_KEY" }, NULL, "AnthropicException", NULL },
	{ "gemini", "https://generativelanguage.googleapis.com", NULL,
	    { "GEMINI_API_KEY", "GOOGLE_API_KEY" }, NULL, "GeminiException",
	    NULL },
	{ "vertex_ai", NULL, NULL, { NULL }, NULL, "VertexAIException", NULL },
	{ "bedrock", NULL, NULL, { NULL }, NULL, "BedrockException", NULL },
	{ "ollama", "http://localhost:11434", "OLLAMA_API_BASE", { NULL },
	    NULL, "OllamaException", NULL },
	{ "ollama_chat", "http://localhost:11434", "OLLAMA_API_BASE",
	    { NULL }, NULL, "OllamaException", NULL },
};

const struct prov *
prov_find(const char *name)
{
	size_t	i;

	if (name == NULL)
		return (NULL);
	for (i = 0; i < LX_NELEM(prov_table); i++)
		if (strcmp(prov_table[i].name, name) == 0)
			return (&prov_table[i]);
	return (NULL);
}

/*
 * LiteLLM recognises a bare model name by its lists of known models; llmux
 * keeps their prefixes.  NULL: no provider can be told from the name.
 */
const char *
prov_infer(const char *m)
{
	static const char *const openai[] = { "gpt-", "o1", "o3", "o4",
	    "chatgpt-", "text-embedding-", "text-davinci", "davinci",
	    "babbage", "dall-e", "whisper", "tts-", "omni-moderation",
	    "text-moderation", "codex-", "computer-use" };
	size_t	i;

	if (strncmp(m, "claude", 6) == 0)
		return ("anthropic");
	if (strncmp(m, "gemini", 6) == 0)
		return ("gemini");
	for (i = 0; i < LX_NELEM(openai); i++)
		if (strncmp(m, openai[i], strlen(openai[i])) == 0)
			return ("openai");
	return (NULL);
}

const char *
prov_api_key(const struct prov *p, const struct cfg_deploy *d)
{
	const char	*v;
	size_t		 i;

	if (d->api_key != NULL && *d->api_key != '\0')
		return (d->api_key);
	for (i = 0; i < LX_NELEM(p->key_env) && p->key_env[i] != NULL; i++)
		if ((v = getenv(p->key_env[i])) != NULL && *v != '\0')
			return (v);
	return (p->key_default);
}

char *
prov_api_base(const struct prov *p, const struct cfg_deploy *d,
    struct arena *a)
{
	const char	*b = d->api_base;
	size_t		 n;

	if (b == NULL || *b == '\0')
		b = p->base_env != NULL ? getenv(p->base_env) : NULL;
	if (b == NULL || *b == '\0')
		b = p->base;
	if (b == NULL)
		return (NULL);
	n = strlen(b);
	while (n > 0 && b[n - 1] == '/')
		n--;
	return (ar_strndup(a, b, n));
}

int
prov_run(struct req *r)
{
	const struct js_mem	*m;
	const char		*mock = r->dep->mock_response;

	/* A per-request mock_response wins, as in LiteLLM. */
	if ((m = js_find(r->mem, r->nmem, "mock_response")) != NULL &&
	    m->type == JS_STR)
		mock = js_string(&r->ar, m->val, m->vlen);
	if (mock != NULL)
		return (prov_mock_run(r, mock));
	if (r->prov == NULL) {
		err_reply(r, 400, "invalid_request_error", "model",
		    "litellm.BadRequestError: LLM Provider NOT provided. Pass "
		    "in the LLM provider you are trying to call. You passed "
		    "model=%s", r->dep_model);
		return (LX_ERR);
	}
	if (r->prov->ops == NULL) {
		err_reply(r, 400, "invalid_request_error", "model",
		    "litellm.BadRequestError: Unsupported provider - %s "
		    "(model=%s): not served by this llmux build",
		    r->prov->name, r->dep_model);
		return (LX_ERR);
	}
	return (rly_start(r));
}

int
prov_target_base(struct prov_target *t, const char *base, const char *path,
    struct arena *a)
{
	const char	*q, *auth, *at, *e;
	size_t		 n;

	/* The query (and a fragment, which no server sees) end the base. */
	n = strcspn(base, "?#");
	q = base[n] == '?' ? base + n : "";
	while (n > 0 && base[n - 1] == '/')
		n--;
	if ((e = strchr(q, '#')) == NULL)
		e = q + strlen(q);
	/* Kept upstream: the query may be how the server takes its key. */
	t->url = ar_printf(a, "%.*s%s%.*s", (int)n, base, path,
	    (int)(e - q), q);
	/*
	 * Shown to every client: neither the query (?key=...) nor the
	 * userinfo (user:password@) of the authority.
	 */
	auth = strstr(base, "://");
	auth = auth != NULL && (size_t)(auth - base) < n ? auth + 3 : base;
	at = NULL;
	for (e = auth; e < base + n && *e != '/'; e++)
		if (*e == '@')
			at = e;
	if (at != NULL)
		t->api_base = ar_printf(a, "%.*s%.*s", (int)(auth - base),
		    base, (int)(base + n - (at + 1)), at + 1);
	else
		t->api_base = ar_strndup(a, base, n);
	return (t->url != NULL && t->api_base != NULL ? LX_OK : LX_ERR);
}

int
prov_add_header(struct prov_target *t, struct arena *a, const char *name,
    const char *value, int secret)
{
	struct curl_slist	*l;
	char			*h;

	if ((h = ar_printf(a, "%s: %s", name, value)) == NULL)
		return (LX_ERR);
	l = curl_slist_append(t->hdrs, h);
	if (secret)
		explicit_bzero(h, strlen(h));
	if (l == NULL)
		return (LX_ERR);
	t->hdrs = l;
	return (LX_OK);
}

/* litellm_params.extra_headers: {name: value} sent with every call. */
static int
prov_extra_headers(struct prov_target *t, const char *json, struct arena *a)
{
	struct js_mem	 m[32];
	size_t		 n, i;
	char		*k, *v;

	if (js_object(json, strlen(json), m, LX_NELEM(m), &n, NULL, NULL) !=
	    LX_OK)
		return (LX_OK);		/* not a map: nothing to send */
	for (i = 0; i < n; i++) {
		if (m[i].type != JS_STR ||
		    (k = ar_strndup(a, m[i].key, m[i].klen)) == NULL ||
		    (v = js_string(a, m[i].val, m[i].vlen)) == NULL)
			continue;
		/* A header may not carry a line break. */
		if (strpbrk(k, "\r\n:") != NULL || strpbrk(v, "\r\n") != NULL)
			continue;
		if (prov_add_header(t, a, k, v, 0) != LX_OK)
			return (LX_ERR);
	}
	return (LX_OK);
}

int
prov_common_headers(struct prov_target *t, const struct cfg_deploy *d,
    struct arena *a)
{
	size_t	i;

	if (prov_add_header(t, a, "Content-Type", "application/json", 0) !=
	    LX_OK)
		return (LX_ERR);
	/* Large prompts must not wait for a 100-continue round trip. */
	if ((t->hdrs = curl_slist_append(t->hdrs, "Expect:")) == NULL)
		return (LX_ERR);
	for (i = 0; i < d->nextra; i++)
		if (strcmp(d->extra[i].key, "extra_headers") == 0 &&
		    prov_extra_headers(t, d->extra[i].json, a) != LX_OK)
			return (LX_ERR);
	return (LX_OK);
}
