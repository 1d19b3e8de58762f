/*
 * route.c: the route stage.
 *
 * Resolution follows LiteLLM's order: model_group_alias, the exact
 * model_name, wildcard patterns (most specific first), a deployment named
 * by its litellm model or model_info.id, then the "*" group.  Within a
 * group the table's strategy picks (rt_strategies[]: a pick/release pair
 * per strategy; req_finish() releases every pick once).  LiteLLM's
 * simple-shuffle is weighted by the first deployment's weight, else rpm,
 * else tpm, else uniform; its release is a no-op.  cost-based-routing
 * takes the cheapest by the price map (price.c) or the deployment's own
 * prices.  Before any strategy, rt_filter() applies LiteLLM's filters
 * that need no shared state (context window, region and order tier with
 * enable_pre_call_checks, tags with enable_tag_filtering), so a strategy
 * sees only the deployments that passed.  The other strategies, retries,
 * fallbacks and cooldowns build on rt_table.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "arena.h"
#include "cfg.h"
#include "err.h"
#include "glob.h"
#include "json.h"
#include "log.h"
#include "price.h"
#include "prov.h"
#include "req.h"
#include "route.h"
#include "worker.h"

static const struct rt_strategy *rt_strategy_find(const char *);

static uint64_t
rt_hash(const char *s)
{
	uint64_t	h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h);
}

int
rt_match(const char *pat, const char *s, const char **cap, size_t *caplen,
    size_t maxcaps, size_t *ncaps)
{
	/*
	 * One matcher for the loader and the router (glob.c).  A pattern
	 * with more stars than we keep captures for is not ours to fill.
	 */
	if (!glob_match(pat, s, cap, caplen, maxcaps, ncaps))
		return (0);
	return (*ncaps <= maxcaps);
}

/* Count of non-'*' characters: LiteLLM sorts patterns by length. */
static int
rt_wild_cmp(const void *a, const void *b)
{
	const struct rt_group	*ga = *(struct rt_group *const *)a;
	const struct rt_group	*gb = *(struct rt_group *const *)b;
	size_t			 la = strlen(ga->name), lb = strlen(gb->name);

	if (la != lb)
		return (la > lb ? -1 : 1);
	return (strcmp(ga->name, gb->name));
}

/* URL and headers for a deployment reached through provider p. */
static int
rt_prepare(struct rt_deploy *rd, const struct prov *p,
    const struct cfg_deploy *d, struct arena *a)
{
	rd->prov = p;
	memset(&rd->tgt, 0, sizeof(rd->tgt));
	if (p == NULL || p->ops == NULL)
		return (LX_OK);
	return (p->ops->prepare(&rd->tgt, p, d, a));
}

/* The provider a deployment's model string names. */
static const struct prov *
rt_provider(const struct cfg_deploy *d, const char *model, const char **up)
{
	const struct prov	*p;
	const char		*slash;
	char			 pre[64];

	*up = model;
	if (d->custom_llm_provider != NULL) {
		p = prov_find(d->custom_llm_provider);
		slash = strchr(model, '/');
		if (slash != NULL && p != NULL &&
		    (size_t)(slash - model) == strlen(p->name) &&
		    strncmp(model, p->name, strlen(p->name)) == 0)
			*up = slash + 1;
		return (p);
	}
	if ((slash = strchr(model, '/')) != NULL &&
	    (size_t)(slash - model) < sizeof(pre)) {
		memcpy(pre, model, (size_t)(slash - model));
		pre[slash - model] = '\0';
		if ((p = prov_find(pre)) != NULL) {
			*up = slash + 1;
			return (p);
		}
	}
	if ((p = prov_find(prov_infer(model))) != NULL)
		return (p);
	/* A deployment's own bare model: the provider the config gave it. */
	return (model == d->model ? prov_find(d->provider) : NULL);
}

struct rt_table *
rt_table_new(const struct cfg *c, struct arena *a)
{
	struct rt_table		*t;
	struct rt_group		*g;
	struct rt_deploy	*rd;
	const struct cfg_deploy	*d;
	const char		*up;
	size_t			 i, j, b;

	if ((t = ar_calloc(a, sizeof(*t))) == NULL)
		return (NULL);
	t->ar = a;
	t->cfg = c;
	t->strategy = rt_strategy_find(c->router.routing_strategy);
	t->ndeploy = c->ndeploy;
	t->deploy = ar_calloc(a, sizeof(*t->deploy) * (c->ndeploy + 1));
	t->groups = ar_calloc(a, sizeof(*t->groups) * (c->ndeploy + 1));
	t->nbuckets = 16;
	while (t->nbuckets < c->ndeploy * 2)
		t->nbuckets *= 2;
	t->buckets = ar_calloc(a, sizeof(*t->buckets) * t->nbuckets);
	t->wild = ar_calloc(a, sizeof(*t->wild) * (c->ndeploy + 1));
	if (ar_failed(a))
		return (NULL);
	for (i = 0; i < c->ndeploy; i++) {
		d = &c->deploy[i];
		rd = &t->deploy[i];
		rd->cfg = d;
		if (rt_prepare(rd, rt_provider(d, d->model, &up), d, a) !=
		    LX_OK)
			goto fail;
		for (j = 0; j < t->ngroups; j++)
			if (strcmp(t->groups[j].name, d->model_name) == 0)
				break;
		g = &t->groups[j];
		if (j == t->ngroups) {
			t->ngroups++;
			g->name = d->model_name;
			g->d = ar_calloc(a, sizeof(*g->d) * c->ndeploy);
			if (g->d == NULL)
				goto fail;
		}
		g->d[g->n++] = rd;
	}
	for (j = 0; j < t->ngroups; j++) {
		g = &t->groups[j];
		if (strchr(g->name, '*') != NULL)
			t->wild[t->nwild++] = g;
		b = rt_hash(g->name) & (t->nbuckets - 1);
		while (t->buckets[b] != NULL)
			b = (b + 1) & (t->nbuckets - 1);
		t->buckets[b] = g;
	}
	qsort(t->wild, t->nwild, sizeof(*t->wild), rt_wild_cmp);
	return (t);
 fail:
	rt_table_free(t);
	return (NULL);
}

/*
 * Free a header list after wiping it: curl keeps its own copy of every
 * line, the provider key's included, and free() does not clear memory.
 * Also the arena cleanup of a per-request list.
 */
static void
rt_slist_free(void *arg)
{
	struct curl_slist	*l;

	for (l = arg; l != NULL; l = l->next)
		if (l->data != NULL)
			explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(arg);
}

void
rt_table_free(struct rt_table *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->ndeploy; i++) {
		if (t->deploy[i].fails.on)
			evtimer_del(&t->deploy[i].fails.ev);
		rt_slist_free(t->deploy[i].tgt.hdrs);
		t->deploy[i].tgt.hdrs = NULL;
	}
}

/* The group named exactly name, or NULL. */
static const struct rt_group *
rt_group_find(const struct rt_table *t, const char *name)
{
	size_t	b = rt_hash(name) & (t->nbuckets - 1);

	for (; t->buckets[b] != NULL; b = (b + 1) & (t->nbuckets - 1))
		if (strcmp(t->buckets[b]->name, name) == 0)
			return (t->buckets[b]);
	return (NULL);
}

/* simple-shuffle */
static struct rt_deploy *
rt_shuffle_pick(const struct rt_group *g, struct req *r)
{
	struct wrk		*w = r->w;
	const struct cfg_deploy	*f = g->d[0]->cfg;
	double			 tot = 0, x, wt;
	size_t			 i;
	int			 mode;

	if (g->n == 1)
		return (g->d[0]);
	mode = f->weight > 0 ? 1 : f->rpm > 0 ? 2 : f->tpm > 0 ? 3 : 0;
	if (mode == 0)
		return (g->d[wrk_random(w) % g->n]);
	for (i = 0; i < g->n; i++) {
		f = g->d[i]->cfg;
		wt = mode == 1 ? f->weight : mode == 2 ? (double)f->rpm :
		    (double)f->tpm;
		tot += wt > 0 ? wt : 0;
	}
	if (tot <= 0)
		return (g->d[wrk_random(w) % g->n]);
	x = (double)(wrk_random(w) >> 11) / 9007199254740992.0 * tot;
	for (i = 0; i < g->n; i++) {
		f = g->d[i]->cfg;
		wt = mode == 1 ? f->weight : mode == 2 ? (double)f->rpm :
		    (double)f->tpm;
		if (wt > 0 && (x -= wt) < 0)
			return (g->d[i]);
	}
	return (g->d[g->n - 1]);
}

/* Nothing counted: the weights are the config's. */
static void
rt_shuffle_release(struct rt_deploy *rd, struct req *r)
{
}

/*
 * cost-based-routing: the cheapest deployment by input plus output price
 * per token; the first of equals, as LiteLLM's stable sort leaves them.
 */
static struct rt_deploy *
rt_cost_pick(const struct rt_group *g, struct req *r)
{
	double	 best = 0, c;
	size_t	 i, k = 0;

	for (i = 0; i < g->n; i++) {
		c = rt_cost(g->d[i]->cfg);
		if (i == 0 || c < best) {
			best = c;
			k = i;
		}
	}
	return (g->d[k]);
}

double
rt_cost(const struct cfg_deploy *d)
{
	const struct price_row	*p;
	double			 in = d->input_cost_per_token;
	double			 out = d->output_cost_per_token;

	p = price_find(d->base_model != NULL ? d->base_model : d->model);
	if (p == NULL && d->base_model == NULL)
		p = price_find(d->upstream_model);
	/* LiteLLM's default for a model it cannot price is 5.0 a token. */
	if (in < 0)
		in = p != NULL && p->input_cost_per_token >= 0 ?
		    p->input_cost_per_token : 5.0;
	if (out < 0)
		out = p != NULL && p->output_cost_per_token >= 0 ?
		    p->output_cost_per_token : 5.0;
	return (in + out);
}

long
rt_max_input(const struct cfg_deploy *d)
{
	const struct price_row	*p;

	if (d->max_input_tokens >= 0)
		return (d->max_input_tokens);
	p = price_find(d->base_model != NULL ? d->base_model : d->model);
	if (p == NULL && d->base_model == NULL)
		p = price_find(d->upstream_model);
	return (p != NULL ? p->max_input_tokens : -1);
}

static int
rt_has_tag(const struct cfg_deploy *d, const char *tag)
{
	size_t	i;

	for (i = 0; i < d->tags.n; i++)
		if (strcmp(d->tags.v[i], tag) == 0)
			return (1);
	return (0);
}

/*
 * LiteLLM's tag filter: a tagged request goes to the deployments that
 * share any of its tags, else to those tagged "default", else nowhere; an
 * untagged one to the "default" deployments when there are any, else to
 * all.  Filters d[0..n) in place.
 */
static size_t
rt_filter_tags(struct rt_deploy **d, size_t n, const struct rt_ask *a)
{
	size_t	 i, j, k = 0, ndef = 0;
	int	 hit;

	for (i = 0; i < n; i++) {
		hit = 0;
		for (j = 0; j < a->ntags && !hit; j++)
			hit = rt_has_tag(d[i]->cfg, a->tags[j]);
		if (hit)
			d[k++] = d[i];
	}
	if (k > 0)
		return (k);
	for (i = 0; i < n; i++)
		if (rt_has_tag(d[i]->cfg, "default"))
			d[ndef++] = d[i];
	if (ndef > 0 || a->ntags > 0)
		return (ndef);
	return (n);
}

size_t
rt_filter(const struct cfg *c, const struct rt_group *g,
    const struct rt_ask *a, struct rt_deploy **out, enum rt_empty *why,
    long *maxin)
{
	const struct cfg_deploy	*d;
	size_t			 i, n = 0, k;
	long			 mx, low = -1;
	int			 toolong = 0;

	*why = RT_E_NONE;
	*maxin = -1;
	for (i = 0; i < g->n; i++) {
		d = g->d[i]->cfg;
		if (c->router.enable_pre_call_checks > 0) {
			/* A window the map does not know passes. */
			mx = rt_max_input(d);
			if (a->tokens >= 0 && mx >= 0 && a->tokens > mx) {
				toolong = 1;
				if (mx > *maxin)
					*maxin = mx;
				continue;
			}
			if (a->region != NULL && (d->region_name == NULL ||
			    strcmp(d->region_name, a->region) != 0))
				continue;
		}
		out[n++] = g->d[i];
	}
	if (n == 0) {
		*why = toolong ? RT_E_CONTEXT : RT_E_REGION;
		return (0);
	}
	if (c->router.enable_pre_call_checks > 0) {
		/* The lowest order tier; no order ranks after any order. */
		for (i = 0; i < n; i++)
			if (out[i]->cfg->order >= 0 &&
			    (low < 0 || out[i]->cfg->order < low))
				low = out[i]->cfg->order;
		if (low >= 0) {
			for (i = 0, k = 0; i < n; i++)
				if (out[i]->cfg->order == low)
					out[k++] = out[i];
			n = k;
		}
	}
	if (c->router.enable_tag_filtering > 0 &&
	    (n = rt_filter_tags(out, n, a)) == 0)
		*why = RT_E_TAGS;
	return (n);
}

/* Append the strings of JSON array p[0..len) to a's tags. */
static int
rt_ask_tags(struct req *r, struct rt_ask *a, const char *p, size_t len)
{
	const char	*e = p + len, *s;
	char		*t;
	int		 depth = 0;

	if (len == 0 || *p != '[')
		return (LX_OK);
	/*
	 * The body is valid JSON, so a walk of brackets and strings will do;
	 * only the array's own strings are tags, not those nested in it.
	 */
	for (; p < e && a->ntags < RT_MAXTAGS; p++) {
		if (*p == '[' || *p == '{')
			depth++;
		else if (*p == ']' || *p == '}')
			depth--;
		if (*p != '"')
			continue;
		for (s = p++; p < e && *p != '"'; p++)
			if (*p == '\\')
				p++;
		if (p >= e)
			break;
		if (depth != 1)
			continue;
		if ((t = js_string(&r->ar, s, (size_t)(p - s + 1))) == NULL)
			return (LX_ERR);
		a->tags[a->ntags++] = t;
	}
	return (LX_OK);
}

int
rt_ask_parse(struct req *r, struct rt_ask *a)
{
	const struct js_mem	*m;
	struct js_mem		 mm[REQ_MAXMEM];
	size_t			 n;

	memset(a, 0, sizeof(*a));
	a->tokens = -1;
	/* The allowed region comes from keys and teams; none yet. */
	a->region = NULL;
	if ((m = js_find(r->mem, r->nmem, "messages")) != NULL &&
	    m->type == JS_ARR)
		a->tokens = (long)((m->vlen + 3) / 4);
	if ((m = js_find(r->mem, r->nmem, "metadata")) != NULL &&
	    m->type == JS_OBJ &&
	    js_object(m->val, m->vlen, mm, LX_NELEM(mm), &n, NULL, NULL) ==
	    LX_OK && (m = js_find(mm, n, "tags")) != NULL &&
	    m->type == JS_ARR && rt_ask_tags(r, a, m->val, m->vlen) != LX_OK)
		return (LX_ERR);
	if ((m = js_find(r->mem, r->nmem, "tags")) != NULL &&
	    m->type == JS_ARR && rt_ask_tags(r, a, m->val, m->vlen) != LX_OK)
		return (LX_ERR);
	return (LX_OK);
}

/* "['a', 'b']", as LiteLLM prints the request's tags. */
static const char *
rt_tags_text(struct req *r, const struct rt_ask *a)
{
	size_t	 i, len = 3;
	char	*s, *o;

	for (i = 0; i < a->ntags; i++)
		len += strlen(a->tags[i]) + 4;
	if ((s = o = ar_alloc(&r->ar, len)) == NULL)
		return ("[]");
	*o++ = '[';
	for (i = 0; i < a->ntags; i++)
		o += sprintf(o, "%s'%s'", i > 0 ? ", " : "", a->tags[i]);
	*o++ = ']';
	*o = '\0';
	return (s);
}

/*
 * The filters, then the strategy's pick among what passed; replies when
 * nothing did, with LiteLLM's status and message for the reason.
 */
static int
rt_filter_pick(const struct rt_table *t, const struct rt_group *g,
    struct req *r, struct rt_deploy **rdp)
{
	const struct cfg	*c = r->cfg;
	struct rt_group		 sub;
	struct rt_ask		 a;
	enum rt_empty		 why;
	long			 maxin;

	if (c->router.enable_pre_call_checks <= 0 &&
	    c->router.enable_tag_filtering <= 0) {
		*rdp = t->strategy->pick(g, r);
		return (LX_OK);
	}
	sub.name = g->name;
	if (rt_ask_parse(r, &a) != LX_OK ||
	    (sub.d = ar_alloc(&r->ar, sizeof(*sub.d) * g->n)) == NULL) {
		err_reply(r, 500, "internal_server_error", NULL,
		    "out of memory");
		return (LX_ERR);
	}
	if ((sub.n = rt_filter(c, g, &a, sub.d, &why, &maxin)) > 0) {
		*rdp = t->strategy->pick(&sub, r);
		return (LX_OK);
	}
	switch (why) {
	case RT_E_CONTEXT:
		err_reply(r, 400, NULL, NULL, "litellm."
		    "ContextWindowExceededError: litellm._pre_call_checks: "
		    "Context Window exceeded for given call. No models have "
		    "context window large enough for this call.\nModel=%s, "
		    "Max Input Tokens=%ld, Got=%ld", r->model, maxin,
		    a.tokens);
		break;
	case RT_E_TAGS:
		err_reply(r, 400, NULL, NULL, "Not allowed to access model "
		    "due to tags configuration. Passed model=%s and tags=%s",
		    r->model, rt_tags_text(r, &a));
		break;
	default:
		err_reply(r, 429, NULL, NULL, "No deployments available for "
		    "selected model, Try again in %g seconds. Passed "
		    "model=%s. pre-call-checks=%s, cooldown_list=[]",
		    c->router.cooldown_time >= 0 ? c->router.cooldown_time :
		    5.0, r->model, c->router.enable_pre_call_checks > 0 ?
		    "True" : "False");
		break;
	}
	return (LX_ERR);
}

/*
 * Strategies llmux serves; the config's other names fall back to the
 * first row until their issue lands (llmux.yaml(5) says so).
 */
static const struct rt_strategy rt_strategies[] = {
	{ "simple-shuffle", rt_shuffle_pick, rt_shuffle_release },
	{ "cost-based-routing", rt_cost_pick, rt_shuffle_release },
};

/* The strategy named name; simple-shuffle for names not served yet. */
static const struct rt_strategy *
rt_strategy_find(const char *name)
{
	size_t	i;

	for (i = 0; name != NULL && i < LX_NELEM(rt_strategies); i++)
		if (strcmp(rt_strategies[i].name, name) == 0)
			return (&rt_strategies[i]);
	return (&rt_strategies[0]);
}

void
rt_release(struct req *r)
{
	if (r->picked == NULL)
		return;
	r->picked->inflight--;
	wrk_routes(r->w)->strategy->release(r->picked, r);
	r->picked = NULL;
}

/* Fill the '*'s of a deployment's model with what the pattern captured. */
static const char *
rt_fill(struct req *r, const char *model, const char **cap, size_t *caplen,
    size_t ncaps)
{
	size_t	 stars = 0, i, k = 0, len = 0;
	const char *p;
	char	*out, *o;

	for (p = model; *p != '\0'; p++)
		stars += *p == '*';
	if (stars == 0)
		return (model);
	/* More captures than stars: LiteLLM sends the raw request model. */
	if (ncaps > stars || ncaps == 0)
		return (r->model);
	for (i = 0; i < ncaps; i++)
		len += caplen[i];
	if ((out = ar_alloc(&r->ar, strlen(model) + len + 1)) == NULL)
		return (NULL);
	for (o = out, p = model; *p != '\0'; p++) {
		if (*p == '*' && k < ncaps) {
			memcpy(o, cap[k], caplen[k]);
			o += caplen[k];
			k++;
		} else if (*p != '*')
			*o++ = *p;
	}
	*o = '\0';
	return (out);
}

int
rt_run(struct req *r)
{
	const struct rt_table	*t = wrk_routes(r->w);
	const struct cfg	*c = r->cfg;
	const struct rt_group	*g = NULL;
	struct rt_deploy	*rd;
	const char		*name = r->model, *cap[RT_MAXCAPS], *up;
	size_t			 caplen[RT_MAXCAPS], ncaps = 0, i;
	char			 pv[256];

	if (c->general.completion_model != NULL)
		name = c->general.completion_model;
	for (i = 0; i < c->router.nalias; i++)
		if (strcmp(c->router.alias[i].alias, name) == 0) {
			name = c->router.alias[i].group;
			break;
		}
	if ((g = rt_group_find(t, name)) != NULL && g->d[0]->cfg->wildcard)
		g = NULL;
	for (i = 0; g == NULL && i < t->nwild; i++) {
		const struct rt_group *wg = t->wild[i];

		if (strcmp(wg->name, "*") == 0)
			continue;
		if (rt_match(wg->name, name, cap, caplen, RT_MAXCAPS, &ncaps)) {
			g = wg;
			break;
		}
		/* A bare "gpt-4o" also matches a pattern by its provider. */
		if (strchr(name, '/') == NULL && prov_infer(name) != NULL) {
			snprintf(pv, sizeof(pv), "%s/%s", prov_infer(name),
			    name);
			if (rt_match(wg->name, pv, cap, caplen, RT_MAXCAPS,
			    &ncaps)) {
				g = wg;
				break;
			}
		}
	}
	if (g == NULL) {
		/* A deployment named by its own model or id. */
		for (i = 0; i < t->ndeploy; i++)
			if (strcmp(t->deploy[i].cfg->model, name) == 0 ||
			    (t->deploy[i].cfg->id != NULL &&
			    strcmp(t->deploy[i].cfg->id, name) == 0))
				break;
		if (i < t->ndeploy) {
			rd = &t->deploy[i];
			goto picked;
		}
	}
	if (g == NULL && (g = rt_group_find(t, "*")) != NULL) {
		cap[0] = name;
		caplen[0] = strlen(name);
		ncaps = 1;
	}
	if (g == NULL) {
		err_reply(r, 400, "invalid_request_error", "model",
		    "%s: Invalid model name passed in model=%s. Call "
		    "`/v1/models` to view available models for your key.",
		    r->route, r->model);
		return (LX_ERR);
	}
	if (rt_filter_pick(t, g, r, &rd) != LX_OK)
		return (LX_ERR);
 picked:
	/* A deployment named directly is a pick too: release counts it. */
	rd->inflight++;
	r->picked = rd;
	r->dep = rd->cfg;
	r->rd = rd;
	if (!rd->cfg->wildcard) {
		r->dep_model = rd->cfg->model;
		r->prov = rd->prov;
		r->up_model = rd->cfg->upstream_model;
		r->api_base = rd->tgt.api_base;
		return (LX_OK);
	}
	if ((r->dep_model = rt_fill(r, rd->cfg->model, cap, caplen, ncaps)) ==
	    NULL)
		return (LX_ERR);
	r->prov = rt_provider(rd->cfg, r->dep_model, &up);
	r->up_model = up;
	r->api_base = rd->tgt.api_base;
	if (r->prov != rd->prov) {
		/* The request chose another provider: prepare it now. */
		struct rt_deploy *tmp = ar_calloc(&r->ar, sizeof(*tmp));

		if (tmp == NULL || rt_prepare(tmp, r->prov, rd->cfg,
		    &r->ar) != LX_OK ||
		    ar_cleanup(&r->ar, rt_slist_free, tmp->tgt.hdrs) !=
		    LX_OK) {
			if (tmp != NULL)
				rt_slist_free(tmp->tgt.hdrs);
			err_reply(r, 500, "internal_server_error", NULL,
			    "out of memory");
			return (LX_ERR);
		}
		tmp->cfg = rd->cfg;
		r->rd = tmp;
		r->api_base = tmp->tgt.api_base;
	}
	return (LX_OK);
}
