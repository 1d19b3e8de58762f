/*
 * route.c: the route stage.
 *
 * Resolution follows LiteLLM's order: model_group_alias, the exact
 * model_name, wildcard patterns (most specific first), a deployment named
 * by its litellm model or model_info.id, then the "*" group.  Within a
 * group the table's strategy picks (rt_strategies[]: a pick/release pair
 * per strategy; req_finish() releases every pick once).
 *
 * Before any strategy, rt_filter() applies LiteLLM's filters that need
 * no shared state (context window, region and order tier with
 * enable_pre_call_checks, tags with enable_tag_filtering), so a strategy
 * sees only the deployments that passed.
 *
 * Every strategy picks through rt_state_pick(): one LMDB write
 * transaction (state.c) reads the group's shared records, drops the
 * deployments cooling down and those over their rpm/tpm this minute,
 * lets the strategy's choose function decide among the rest and counts
 * the choice, so the limits hold across workers.  rt_state_release()
 * takes the pick back in one more transaction and accounts its outcome:
 * tokens, a latency sample, or a failure that may cool the deployment
 * down (rt_cool_check, LiteLLM's rules).  When LMDB fails (a full map),
 * the pick is made on zero counters and served; the first failure is
 * logged, all are counted.
 *
 * The choices, as LiteLLM makes them: simple-shuffle weighted by the
 * first candidate's weight, else rpm, else tpm, else uniform;
 * least-busy the fewest in flight; usage-based-routing(-v2) the fewest
 * tokens this minute; latency-based-routing the lowest mean seconds per
 * output token, at random within lowest_latency_buffer of it.  Ties are
 * broken at random; cost-based-routing the cheapest by the price map
 * (price.c) or the deployment's own prices, the first of equals.  To add
 * a strategy: a choose function and a row.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
#include "state.h"
#include "worker.h"

static struct st	*rt_st;		/* this process's; NULL: none */
static unsigned long	 rt_st_errors;

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
	if ((t->strategy = rt_strategy_find(c->router.routing_strategy)) ==
	    NULL)
		t->strategy = rt_strategy_find("simple-shuffle");
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
		for (i = 0; i < g->n; i++)
			g->d[i]->gsize = g->n;
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

/*
 * Wall-clock seconds: the minute counters and cooldowns are shared by
 * processes and survive restarts, so a monotonic clock will not do.
 */
static double
rt_wall(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* A random index below n. */
static size_t
rt_rand(struct req *r, size_t n)
{
	return (n <= 1 ? 0 : (size_t)(wrk_random(r->w) % n));
}

/* The index of the k-th (from 0) deployment with ok set. */
static size_t
rt_nth_ok(const unsigned char *ok, size_t n, size_t k)
{
	size_t	i, last = 0;

	for (i = 0; i < n; i++)
		if (ok[i]) {
			if (k-- == 0)
				return (i);
			last = i;
		}
	return (last);
}

static double
rt_weight(const struct cfg_deploy *f, int mode)
{
	double	wt = mode == 1 ? f->weight : mode == 2 ? (double)f->rpm :
	    (double)f->tpm;

	return (wt > 0 ? wt : 0);
}

/* simple-shuffle: the first candidate decides the mode. */
static size_t
rt_shuffle_choose(const struct rt_group *g, const struct st_dep *recs,
    const unsigned char *ok, struct req *r, double now)
{
	const struct cfg_deploy	*f;
	double			 tot = 0, x, wt;
	size_t			 i, n = 0, first = 0, last = 0;
	int			 mode;

	for (i = 0; i < g->n; i++)
		if (ok[i]) {
			if (n++ == 0)
				first = i;
			last = i;
		}
	if (n == 1)
		return (first);
	f = g->d[first]->cfg;
	mode = f->weight > 0 ? 1 : f->rpm > 0 ? 2 : f->tpm > 0 ? 3 : 0;
	for (i = 0; mode != 0 && i < g->n; i++)
		if (ok[i])
			tot += rt_weight(g->d[i]->cfg, mode);
	if (mode == 0 || tot <= 0)
		return (rt_nth_ok(ok, g->n, rt_rand(r, n)));
	x = (double)(wrk_random(r->w) >> 11) / 9007199254740992.0 * tot;
	for (i = 0; i < g->n; i++) {
		if (!ok[i])
			continue;
		wt = rt_weight(g->d[i]->cfg, mode);
		if (wt > 0 && (x -= wt) < 0)
			return (i);
	}
	return (last);
}

/* The candidate with the lowest key; ties at random (reservoir). */
static size_t
rt_min_choose(size_t n, const double *key, const unsigned char *ok,
    struct req *r)
{
	double	best = INFINITY;
	size_t	i, nbest = 0, pick = 0;

	for (i = 0; i < n; i++) {
		if (!ok[i])
			continue;
		if (nbest == 0 || key[i] < best) {
			best = key[i];
			nbest = 1;
			pick = i;
		} else if (key[i] == best && rt_rand(r, ++nbest) == 0)
			pick = i;
	}
	return (pick);
}

/* The ok candidate with the least of one shared counter, ties at random. */
static size_t
rt_least_choose(const struct rt_group *g, const struct st_dep *recs,
    const unsigned char *ok, struct req *r, int tokens)
{
	double	*key = ar_alloc(&r->ar, sizeof(*key) * g->n);
	size_t	 i;

	if (key == NULL)
		return (rt_nth_ok(ok, g->n, 0));
	for (i = 0; i < g->n; i++)
		key[i] = tokens ? (double)recs[i].tok : (double)recs[i].inflight;
	return (rt_min_choose(g->n, key, ok, r));
}

/* least-busy: the fewest requests in flight, across every worker. */
static size_t
rt_busy_choose(const struct rt_group *g, const struct st_dep *recs,
    const unsigned char *ok, struct req *r, double now)
{
	return (rt_least_choose(g, recs, ok, r, 0));
}

/* usage-based-routing and -v2: the fewest tokens this minute. */
static size_t
rt_usage_choose(const struct rt_group *g, const struct st_dep *recs,
    const unsigned char *ok, struct req *r, double now)
{
	return (rt_least_choose(g, recs, ok, r, 1));
}

/*
 * cost-based-routing: the cheapest deployment by input plus output price
 * per token; the first of equals, as LiteLLM's stable sort leaves them.
 */
static size_t
rt_cost_choose(const struct rt_group *g, const struct st_dep *recs,
    const unsigned char *ok, struct req *r, double now)
{
	double	 best = 0, c;
	size_t	 i, k = 0;
	int	 any = 0;

	for (i = 0; i < g->n; i++) {
		if (!ok[i])
			continue;
		c = rt_cost(g->d[i]->cfg);
		if (!any || c < best) {
			best = c;
			k = i;
			any = 1;
		}
	}
	return (k);
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
		return (*rdp != NULL ? LX_OK : LX_ERR);
	}
	sub.name = g->name;
	if (rt_ask_parse(r, &a) != LX_OK ||
	    (sub.d = ar_alloc(&r->ar, sizeof(*sub.d) * g->n)) == NULL) {
		err_reply(r, 500, "internal_server_error", NULL,
		    "out of memory");
		return (LX_ERR);
	}
	if ((sub.n = rt_filter(c, g, &a, sub.d, &why, &maxin)) > 0) {
		/* NULL: the strategy has replied (all cooling, over limits). */
		*rdp = t->strategy->pick(&sub, r);
		return (*rdp != NULL ? LX_OK : LX_ERR);
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
 * latency-based-routing: the lowest mean latency of samples younger than
 * ttl (none: 0, so a new deployment is tried first), or at random among
 * those within lowest_latency_buffer of it.
 */
static size_t
rt_latency_choose(const struct rt_group *g, const struct st_dep *recs,
    const unsigned char *ok, struct req *r, double now)
{
	const struct cfg	*c = r->cfg;
	double			*key = ar_alloc(&r->ar, sizeof(*key) * g->n);
	double			 buf = 0, ttl = 3600, best;
	unsigned char		*in;
	size_t			 i, n = 0;

	if (c != NULL && c->router.lowest_latency_buffer > 0)
		buf = c->router.lowest_latency_buffer;
	if (c != NULL && c->router.latency_ttl > 0)
		ttl = c->router.latency_ttl;
	if (key == NULL || (in = ar_alloc(&r->ar, g->n)) == NULL)
		return (rt_nth_ok(ok, g->n, 0));
	for (i = 0; i < g->n; i++)
		if ((key[i] = st_latency(&recs[i], now, ttl)) < 0)
			key[i] = 0;
	best = key[rt_min_choose(g->n, key, ok, r)];
	if (buf <= 0)
		return (rt_min_choose(g->n, key, ok, r));
	for (i = 0; i < g->n; i++)
		if ((in[i] = ok[i] && key[i] <= best * (1 + buf)) != 0)
			n++;
	return (rt_nth_ok(in, g->n, rt_rand(r, n)));
}

/* What one pick's transaction saw, for the answer when nothing fits. */
struct rt_pickctx {
	const struct rt_group		*g;
	struct req			*r;
	const struct rt_strategy	*s;
	double				 now;
	unsigned char			*ok;
	size_t				 ncool, nover;
};

/* Runs inside st_pick's write transaction. */
static int
rt_pick_cb(void *arg, const struct st_dep *recs, size_t n)
{
	struct rt_pickctx	*x = arg;
	const struct cfg_deploy	*f;
	size_t			 i, nok = 0;

	for (i = 0; i < n; i++) {
		f = x->g->d[i]->cfg;
		x->ok[i] = 0;
		if (recs[i].cool_until > x->now) {
			x->ncool++;
			continue;
		}
		if ((f->rpm > 0 && recs[i].req >= f->rpm) ||
		    (f->tpm > 0 && recs[i].tok >= f->tpm)) {
			x->nover++;
			continue;
		}
		x->ok[i] = 1;
		nok++;
	}
	if (nok == 0)
		return (-1);
	return ((int)x->s->choose(x->g, recs, x->ok, x->r, x->now));
}

/* LMDB failed: serve without counters; say so once, count always. */
static void
rt_state_failed(struct req *r)
{
	if (rt_st_errors++ == 0)
		log_msg(LOG_LVL_WARN, r->id, "shared state: %s; routing "
		    "without counters (logged once)", st_error(rt_st));
}

/* The cooldown a failure starts, LiteLLM's order (llmux.yaml(5)). */
static double
rt_cool_len(const struct req *r, const struct cfg_deploy *f)
{
	const char	*ra = r->oc.retry_after;
	char		*end;
	double		 v;

	if (f->cooldown_time >= 0)
		return (f->cooldown_time);
	if (ra != NULL && (v = strtod(ra, &end)) > 0 && end != ra)
		return (v);
	return (r->cfg->router.cooldown_time >= 0 ?
	    r->cfg->router.cooldown_time : 5);
}

/* Every candidate cooling down or over its limits: LiteLLM's 429. */
static void
rt_reply_none(struct rt_pickctx *x, const struct st_dep *recs)
{
	const struct rt_group	*g = x->g;
	const struct cfg	*c = x->r->cfg;
	const struct cfg_deploy	*f = g->d[0]->cfg;
	struct req		*r = x->r;
	char			*list, *p;
	size_t			 i, len = 1;
	double			 secs;

	if (x->ncool == 0) {
		r->retry_after = "60";
		if (g->n == 1) {
			if (f->rpm > 0 && recs[0].req >= f->rpm)
				err_reply(r, 429, NULL, NULL,
				    "litellm.RateLimitError: Deployment over "
				    "defined rpm limit=%ld. current usage=%lld",
				    f->rpm, (long long)recs[0].req);
			else
				err_reply(r, 429, NULL, NULL,
				    "litellm.RateLimitError: Deployment over "
				    "defined tpm limit=%ld. current usage=%lld",
				    f->tpm, (long long)recs[0].tok);
			return;
		}
	}
	for (i = 0; i < g->n; i++)
		if (recs[i].cool_until > x->now)
			len += strlen(g->d[i]->cfg->id) + 4;
	if ((list = ar_alloc(&r->ar, len)) == NULL) {
		err_reply(r, 500, "internal_server_error", NULL,
		    "out of memory");
		return;
	}
	for (p = list, *p = '\0', i = 0; i < g->n; i++)
		if (recs[i].cool_until > x->now)
			p += sprintf(p, "%s'%s'", p == list ? "" : ", ",
			    g->d[i]->cfg->id);
	secs = x->ncool > 0 ? (c->router.cooldown_time >= 0 ?
	    c->router.cooldown_time : 5) : 60 - fmod(x->now, 60);
	err_reply(r, 429, "None", "None", "No deployments available for "
	    "selected model, Try again in %g seconds. Passed model=%s. "
	    "pre-call-checks=%s, cooldown_list=[%s]", ceil(secs), r->model,
	    c->router.enable_pre_call_checks ? "True" : "False", list);
}

/*
 * The pick of every strategy: candidates, choice and count in one LMDB
 * write transaction (st_pick).  Without state, or when LMDB fails, every
 * deployment is a candidate and the strategy chooses on zero counters.
 */
static struct rt_deploy *
rt_state_pick(const struct rt_group *g, struct req *r)
{
	struct rt_pickctx	 x;
	struct st_dep		*recs;
	const char		**ids;
	size_t			 i;
	int			 rc;

	memset(&x, 0, sizeof(x));
	x.g = g;
	x.r = r;
	x.s = wrk_routes(r->w)->strategy;
	x.now = rt_wall();
	recs = ar_calloc(&r->ar, sizeof(*recs) * g->n);
	ids = ar_alloc(&r->ar, sizeof(*ids) * g->n);
	x.ok = ar_alloc(&r->ar, g->n);
	if (recs == NULL || ids == NULL || x.ok == NULL) {
		err_reply(r, 500, "internal_server_error", NULL,
		    "out of memory");
		return (NULL);
	}
	for (i = 0; i < g->n; i++)
		ids[i] = g->d[i]->cfg->id;
	if (rt_st != NULL && g->n <= ST_MAXPICK) {
		rc = st_pick(rt_st, ids, g->n, recs, rt_pick_cb, &x, x.now);
		if (rc >= 0) {
			r->st_counted = 1;
			return (g->d[rc]);
		}
		if (rc == LX_DECLINED) {
			rt_reply_none(&x, recs);
			return (NULL);
		}
		rt_state_failed(r);
	}
	memset(x.ok, 1, g->n);
	return (g->d[x.s->choose(g, recs, x.ok, r, x.now)]);
}

/* What a release accounts, inside st_release's transaction. */
struct rt_relctx {
	const struct rt_deploy	*rd;
	struct req		*r;
	double			 now;
};

static void
rt_lat_push(struct st_dep *d, double v, double now)
{
	/* LiteLLM keeps the first samples and overwrites the last one. */
	if (d->nlat < ST_LATN)
		d->lat[d->nlat++] = v;
	else
		d->lat[ST_LATN - 1] = v;
	d->lat_at = now;
}

/*
 * allowed_fails_policy's number for an error class, or -1.  LiteLLM
 * tests the classes in this order, and its content policy and context
 * window errors are bad requests too.
 */
static long
rt_policy_fails(const struct cfg *c, const char *cls)
{
	const char	*bad[] = { "BadRequestError",
			    "ContentPolicyViolationError",
			    "ContextWindowExceededError" };
	size_t		 i;

	if (cls == NULL)
		return (-1);
	for (i = 0; i < LX_NELEM(bad); i++)
		if (strcmp(cls, bad[i]) == 0 &&
		    c->router.afp.bad_request >= 0)
			return (c->router.afp.bad_request);
	if (strcmp(cls, "AuthenticationError") == 0)
		return (c->router.afp.auth);
	if (strcmp(cls, "Timeout") == 0)
		return (c->router.afp.timeout);
	if (strcmp(cls, "RateLimitError") == 0)
		return (c->router.afp.rate_limit);
	if (strcmp(cls, "ContentPolicyViolationError") == 0)
		return (c->router.afp.content_policy);
	if (strcmp(cls, "InternalServerError") == 0)
		return (c->router.afp.internal);
	return (-1);
}

/*
 * A failure: cool the deployment down?  LiteLLM's _is_cooldown_required
 * and _should_cooldown_deployment: with allowed_fails_policy naming the
 * error's class, or allowed_fails set to other than its default 3, count
 * failures within cooldown_time against it; else the current
 * minute's failure rate, a 429 in a group of several, and 401 or 404.
 */
static void
rt_cool_check(const struct rt_relctx *x, struct st_dep *d)
{
	const struct cfg	*c = x->r->cfg;
	const struct cfg_deploy	*f = x->rd->cfg;
	const struct rly_outcome *o = &x->r->oc;
	int			 s = o->status, single = x->rd->gsize <= 1;
	long			 allowed, policy;
	double			 len;

	if (c->router.disable_cooldowns || f->wildcard)
		return;
	if (o->cls != NULL && strstr(o->cls, "APIConnectionError") != NULL)
		return;
	if (s >= 400 && s < 500 && s != 429 && s != 401 && s != 408 &&
	    s != 404)
		return;
	len = rt_cool_len(x->r, f);
	allowed = c->router.allowed_fails >= 0 ? c->router.allowed_fails :
	    c->litellm.allowed_fails;
	if ((policy = rt_policy_fails(c, o->cls)) >= 0)
		allowed = policy;
	if (policy >= 0 || (allowed >= 0 && allowed != 3)) {
		if (d->cfails == 0 || x->now - d->cfails_at > len) {
			d->cfails = 0;
			d->cfails_at = x->now;
		}
		if (++d->cfails > allowed)
			goto cool;
		return;
	}
	if (s == 429 && !single)
		goto cool;
	if (d->req >= 1000 && d->fails >= d->req)
		goto cool;
	if (!single && d->req >= 5 && (double)d->fails / d->req > 0.5)
		goto cool;
	if (s == 401 || s == 404)
		goto cool;
	return;
 cool:
	d->cool_until = x->now + len;
	d->cfails = 0;
}

static void
rt_account(void *arg, struct st_dep *d)
{
	const struct rt_relctx	*x = arg;
	const struct req	*r = x->r;
	const struct rly_outcome *o = &r->oc;
	double			 secs;

	if (o->ok) {
		if (r->prompt_tokens > 0)
			d->tok += r->prompt_tokens;
		if (r->completion_tokens > 0)
			d->tok += r->completion_tokens;
		if (r->t_up0 == 0 || r->dep->mock_response != NULL)
			return;
		secs = (double)((r->t_up1 ? r->t_up1 : req_now()) -
		    r->t_up0) / 1e9;
		if (r->completion_tokens > 0)
			secs /= (double)r->completion_tokens;
		rt_lat_push(d, secs, x->now);
		return;
	}
	if (o->cls == NULL && o->status == 0)
		return;		/* no call was made */
	d->fails++;
	if (o->cls != NULL && strcmp(o->cls, "Timeout") == 0)
		rt_lat_push(d, 1000.0, x->now);
	rt_cool_check(x, d);
}

static void
rt_state_release(struct rt_deploy *rd, struct req *r)
{
	struct rt_relctx	x = { rd, r, rt_wall() };

	if (!r->st_counted)
		return;
	r->st_counted = 0;
	if (rt_st != NULL && st_release(rt_st, rd->cfg->id, rt_account, &x,
	    x.now) != LX_OK)
		rt_state_failed(r);
}

/*
 * The strategies llmux serves; the config's other names use the first
 * row until their issue lands (llmux.yaml(5) says so).
 */
static const struct rt_strategy rt_strategies[] = {
	{ "simple-shuffle", rt_state_pick, rt_state_release,
	    rt_shuffle_choose },
	{ "least-busy", rt_state_pick, rt_state_release, rt_busy_choose },
	{ "usage-based-routing", rt_state_pick, rt_state_release,
	    rt_usage_choose },
	{ "usage-based-routing-v2", rt_state_pick, rt_state_release,
	    rt_usage_choose },
	{ "latency-based-routing", rt_state_pick, rt_state_release,
	    rt_latency_choose },
	{ "cost-based-routing", rt_state_pick, rt_state_release,
	    rt_cost_choose },
};

const struct rt_strategy *
rt_strategy_find(const char *name)
{
	size_t	i;

	for (i = 0; name != NULL && i < LX_NELEM(rt_strategies); i++)
		if (strcmp(rt_strategies[i].name, name) == 0)
			return (&rt_strategies[i]);
	return (NULL);
}

void
rt_state_set(struct st *st)
{
	rt_st = st;
}

unsigned long
rt_state_errors(void)
{
	return (rt_st_errors);
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
