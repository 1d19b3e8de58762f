/*
 * The route stage against a real config: LiteLLM's resolution order,
 * wildcard captures, and simple-shuffle's picks under a seeded generator.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <math.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>

#include "arena.h"
#include "cfg.h"
#include "json.h"
#include "prov.h"
#include "req.h"
#include "route.h"
#include "worker.h"

static struct cfg	*tr_cfg;
static struct wrk	 tr_w;
static struct arena	 tr_war;
static struct req	 tr_r;

static const char tr_yaml[] =
    "model_list:\n"
    "  - model_name: pair\n"
    "    litellm_params: { model: openai/p0, api_base: http://h0/v1 }\n"
    "  - model_name: pair\n"
    "    litellm_params: { model: openai/p1, api_base: http://h1/v1 }\n"
    "  - model_name: heavy\n"
    "    litellm_params: { model: openai/w1, api_base: http://w/v1,"
    " weight: 1 }\n"
    "  - model_name: heavy\n"
    "    litellm_params: { model: openai/w3, api_base: http://w/v1,"
    " weight: 3 }\n"
    "  - model_name: exact\n"
    "    litellm_params: { model: openai/exact-up,"
    " api_base: http://e/v1 }\n"
    "    model_info: { id: dep-id-7 }\n"
    "  - model_name: \"team/*\"\n"
    "    litellm_params: { model: \"openai/team-*\","
    " api_base: http://t/v1 }\n"
    "  - model_name: \"team/big-*\"\n"
    "    litellm_params: { model: \"openai/big-*\","
    " api_base: http://t/v1 }\n"
    "  - model_name: \"*\"\n"
    "    litellm_params: { model: \"openai/*\", api_base: http://any/v1 }\n"
    "router_settings:\n"
    "  model_group_alias: { nick: exact }\n";

static void
tr_setup(void)
{
	struct cfg_diags	 d;
	char			 dir[] = "/tmp/llmux-route-XXXXXX", path[600];
	FILE			*f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/config.yaml", dir);
	cr_assert_not_null(f = fopen(path, "w"));
	fputs(tr_yaml, f);
	fclose(f);
	cfg_diags_init(&d);
	tr_cfg = cfg_load(path, &d);
	cfg_diags_free(&d);
	unlink(path);
	rmdir(dir);
	cr_assert_not_null(tr_cfg, "the test config loads");
	memset(&tr_w, 0, sizeof(tr_w));
	ar_init(&tr_war, 0);
	tr_w.cfg = tr_cfg;
	tr_w.rng[0] = 0x243f6a8885a308d3ULL;	/* seeded: runs repeat */
	tr_w.rng[1] = 0x13198a2e03707345ULL;
	cr_assert_not_null(tr_w.rt = rt_table_new(tr_cfg, &tr_war));
}

static void
tr_teardown(void)
{
	rt_table_free(tr_w.rt);
	ar_free(&tr_war);
	cfg_free(tr_cfg);
}

TestSuite(route, .init = tr_setup, .fini = tr_teardown);

/* Route a fresh request for model; the request stays in tr_r. */
static struct req *
tr_route(const char *model)
{
	struct req	*r = &tr_r;

	memset(r, 0, sizeof(*r));
	ar_init(&r->ar, 0);
	r->w = &tr_w;
	r->cfg = tr_cfg;
	r->route = "/chat/completions";
	r->model = model;
	cr_assert_eq(rt_run(r), LX_OK, "%s routes", model);
	return (r);
}

static void
tr_done(struct req *r)
{
	rt_release(r);
	ar_free(&r->ar);
}

Test(route, exact_name_then_alias_then_id)
{
	struct req	*r;

	r = tr_route("exact");
	cr_assert_str_eq(r->dep->model_name, "exact");
	cr_assert_str_eq(r->up_model, "exact-up");
	tr_done(r);
	/* model_group_alias comes before every other lookup. */
	r = tr_route("nick");
	cr_assert_str_eq(r->dep->model_name, "exact");
	tr_done(r);
	/* A deployment named by its model_info.id or its litellm model. */
	r = tr_route("dep-id-7");
	cr_assert_str_eq(r->dep->model_name, "exact");
	tr_done(r);
	r = tr_route("openai/exact-up");
	cr_assert_str_eq(r->dep->model_name, "exact");
	tr_done(r);
}

Test(route, most_specific_wildcard_wins_and_fills_stars)
{
	struct req	*r;

	r = tr_route("team/big-x");
	cr_assert_str_eq(r->dep->model_name, "team/big-*");
	cr_assert_str_eq(r->up_model, "big-x");
	tr_done(r);
	r = tr_route("team/small");
	cr_assert_str_eq(r->dep->model_name, "team/*");
	cr_assert_str_eq(r->up_model, "team-small");
	tr_done(r);
	/* Nothing else matches: the "*" group takes the name whole. */
	r = tr_route("whatever-model");
	cr_assert_str_eq(r->dep->model_name, "*");
	cr_assert_str_eq(r->up_model, "whatever-model");
	tr_done(r);
}

Test(route, glob_captures)
{
	const char	*cap[4];
	size_t		 len[4], n;

	cr_assert(rt_match("a/*-*", "a/b-c-d", cap, len, 4, &n));
	cr_assert_eq(n, 2);
	/* The last star is the greedy one here, as (.*)-(.*) would be not. */
	cr_assert_eq(len[0] + len[1], 4);
	cr_assert(rt_match("gpt-*", "gpt-4o", cap, len, 4, &n));
	cr_assert_eq(n, 1);
	cr_assert_eq(len[0], 2);
	cr_assert_eq(strncmp(cap[0], "4o", 2), 0);
	cr_assert_not(rt_match("gpt-*", "claude", cap, len, 4, &n));
	cr_assert_not(rt_match("a*b*c", "a-b-", cap, len, 4, &n));
	/* More stars than room for captures: no match, never overflow. */
	cr_assert_not(rt_match("*-*-*", "a-b-c", cap, len, 2, &n));
}

Test(route, two_deployment_group_uses_both)
{
	struct req	*r;
	int		 seen[2] = { 0, 0 }, i;

	for (i = 0; i < 200; i++) {
		r = tr_route("pair");
		seen[strcmp(r->up_model, "p0") == 0 ? 0 : 1]++;
		tr_done(r);
	}
	cr_assert_gt(seen[0], 60, "p0 picked %d of 200", seen[0]);
	cr_assert_gt(seen[1], 60, "p1 picked %d of 200", seen[1]);
}

Test(route, weighted_shuffle_follows_weights)
{
	struct req	*r;
	int		 heavy = 0, i, n = 4000;

	for (i = 0; i < n; i++) {
		r = tr_route("heavy");
		heavy += strcmp(r->up_model, "w3") == 0;
		tr_done(r);
	}
	/* weight 3 against 1: three picks in four, within a few percent. */
	cr_assert(heavy > n * 70 / 100 && heavy < n * 80 / 100,
	    "w3 picked %d of %d", heavy, n);
}

Test(route, pick_is_released_once)
{
	struct req	*r;

	r = tr_route("exact");
	cr_assert_eq(r->picked->inflight, 1);
	rt_release(r);
	cr_assert_eq(r->rd->inflight, 0);
	rt_release(r);		/* idempotent: req_finish may run it late */
	cr_assert_eq(r->rd->inflight, 0);
	ar_free(&r->ar);
}

Test(route, api_base_shown_without_query)
{
	struct req	*r;

	r = tr_route("exact");
	cr_assert_str_eq(r->api_base, "http://e/v1");
	cr_assert_str_eq(r->rd->tgt.url, "http://e/v1/chat/completions");
	tr_done(r);
}

Test(route, target_url_keeps_query_last_and_hides_userinfo)
{
	struct prov_target	 t;
	struct arena		 a;

	ar_init(&a, 0);
	memset(&t, 0, sizeof(t));
	cr_assert_eq(prov_target_base(&t, "https://u:p@h.example:8443/v1/?key=k"
	    "&x=1#frag", "/chat/completions", &a), LX_OK);
	cr_assert_str_eq(t.url,
	    "https://u:p@h.example:8443/v1/chat/completions?key=k&x=1");
	cr_assert_str_eq(t.api_base, "https://h.example:8443/v1");
	/* An '@' in the path is no userinfo. */
	cr_assert_eq(prov_target_base(&t, "http://h/a@b", "/c", &a), LX_OK);
	cr_assert_str_eq(t.api_base, "http://h/a@b");
	cr_assert_str_eq(t.url, "http://h/a@b/c");
	ar_free(&a);
}

/*
 * The provider key lives in curl's copy of the header list too: freeing
 * the table must not hand a block still holding it back to malloc.
 * curl's allocator hooks see every block curl frees.
 */
#define TK_KEY	"sk-route-unit-secret-4242"

static int	tk_leaked;

static void
tk_free(void *p)
{
	if (p != NULL && memmem(p, malloc_usable_size(p), TK_KEY,
	    strlen(TK_KEY)) != NULL)
		tk_leaked++;
	free(p);
}

Test(route_key, wiped_from_curl_header_list)
{
	struct cfg_diags	 d;
	struct cfg		*c;
	struct arena		 a;
	struct rt_table		*t;
	char			 dir[] = "/tmp/llmux-route-XXXXXX", path[600];
	FILE			*f;

	/* Before any other curl call in this (forked) test process. */
	cr_assert_eq(curl_global_init_mem(CURL_GLOBAL_NOTHING, malloc, tk_free,
	    realloc, strdup, calloc), CURLE_OK);
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/config.yaml", dir);
	cr_assert_not_null(f = fopen(path, "w"));
	fputs("model_list:\n  - model_name: m\n    litellm_params:\n"
	    "      model: openai/m\n      api_base: http://h/v1\n"
	    "      api_key: " TK_KEY "\n", f);
	fclose(f);
	cfg_diags_init(&d);
	c = cfg_load(path, &d);
	cfg_diags_free(&d);
	unlink(path);
	rmdir(dir);
	cr_assert_not_null(c);
	ar_init(&a, 0);
	cr_assert_not_null(t = rt_table_new(c, &a));
	cr_assert_not_null(t->deploy[0].tgt.hdrs);
	rt_table_free(t);
	cr_assert_eq(tk_leaked, 0, "%d freed curl blocks held the key",
	    tk_leaked);
	ar_free(&a);
	cfg_free(c);
	curl_global_cleanup();
}

/*
 * The filters before a pick (rt_filter) and the stateless strategies, each
 * on a config of its own.
 */
static struct cfg	*tf_cfg;
static struct arena	 tf_war;
static struct rt_table	*tf_rt;

static struct cfg *
tf_load(const char *yaml)
{
	struct cfg_diags	 d;
	struct cfg		*c;
	char			 dir[] = "/tmp/llmux-route-XXXXXX", path[600];
	FILE			*f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/config.yaml", dir);
	cr_assert_not_null(f = fopen(path, "w"));
	fputs(yaml, f);
	fclose(f);
	cfg_diags_init(&d);
	c = cfg_load(path, &d);
	if (c == NULL && d.head != NULL)
		cr_log_error("%s", d.head->text);
	cfg_diags_free(&d);
	unlink(path);
	rmdir(dir);
	cr_assert_not_null(c, "the test config loads");
	return (c);
}

static void
tf_use(const char *yaml)
{
	tf_cfg = tf_load(yaml);
	ar_init(&tf_war, 0);
	cr_assert_not_null(tf_rt = rt_table_new(tf_cfg, &tf_war));
}

static void
tf_teardown(void)
{
	if (tf_rt != NULL)
		rt_table_free(tf_rt);
	ar_free(&tf_war);
	if (tf_cfg != NULL)
		cfg_free(tf_cfg);
	tf_rt = NULL;
	tf_cfg = NULL;
}

TestSuite(route_filter, .fini = tf_teardown);

static const struct rt_group *
tf_group(const char *name)
{
	size_t	i;

	for (i = 0; i < tf_rt->ngroups; i++)
		if (strcmp(tf_rt->groups[i].name, name) == 0)
			return (&tf_rt->groups[i]);
	cr_assert_fail("no group %s", name);
	return (NULL);
}

/* The upstream models rt_filter keeps of group, space-separated. */
static const char *
tf_pass(const char *group, const struct rt_ask *a, enum rt_empty *why)
{
	static char		 buf[256];
	const struct rt_group	*g = tf_group(group);
	struct rt_deploy	*out[16];
	enum rt_empty		 w;
	long			 maxin;
	size_t			 n, i;

	cr_assert_leq(g->n, 16);
	n = rt_filter(tf_cfg, g, a, out, &w, &maxin);
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
		    i > 0 ? " " : "", out[i]->cfg->upstream_model);
	if (why != NULL)
		*why = w;
	return (buf);
}

static const char tf_yaml[] =
    "model_list:\n"
    "  - model_name: win\n"
    "    litellm_params: { model: openai/small, api_base: http://a/v1 }\n"
    "    model_info: { max_input_tokens: 10 }\n"
    "  - model_name: win\n"
    "    litellm_params: { model: openai/big, api_base: http://a/v1 }\n"
    "    model_info: { max_input_tokens: 1000 }\n"
    "  - model_name: win\n"
    "    litellm_params: { model: openai/gpt-3.5-turbo,"
    " api_base: http://a/v1 }\n"
    "  - model_name: win\n"
    "    litellm_params: { model: openai/unknown-window,"
    " api_base: http://a/v1 }\n"
    "  - model_name: tier\n"
    "    litellm_params: { model: openai/none, api_base: http://a/v1 }\n"
    "  - model_name: tier\n"
    "    litellm_params: { model: openai/two, api_base: http://a/v1,"
    " order: 2 }\n"
    "  - model_name: tier\n"
    "    litellm_params: { model: openai/one-a, api_base: http://a/v1,"
    " order: 1 }\n"
    "  - model_name: tier\n"
    "    litellm_params: { model: openai/one-b, api_base: http://a/v1,"
    " order: 1 }\n"
    "  - model_name: reg\n"
    "    litellm_params: { model: openai/eu, api_base: http://a/v1,"
    " region_name: eu }\n"
    "  - model_name: reg\n"
    "    litellm_params: { model: openai/us, api_base: http://a/v1,"
    " region_name: us }\n"
    "  - model_name: reg\n"
    "    litellm_params: { model: openai/nowhere, api_base: http://a/v1 }\n"
    "  - model_name: tagged\n"
    "    litellm_params: { model: openai/free, api_base: http://a/v1,"
    " tags: [free] }\n"
    "  - model_name: tagged\n"
    "    litellm_params: { model: openai/paid, api_base: http://a/v1,"
    " tags: [paid, teamB] }\n"
    "  - model_name: tagged\n"
    "    litellm_params: { model: openai/dflt, api_base: http://a/v1,"
    " tags: [default] }\n"
    "  - model_name: strict\n"
    "    litellm_params: { model: openai/s-a, api_base: http://a/v1,"
    " tags: [a] }\n"
    "  - model_name: strict\n"
    "    litellm_params: { model: openai/s-none, api_base: http://a/v1 }\n"
    "router_settings:\n"
    "  enable_pre_call_checks: true\n"
    "  enable_tag_filtering: true\n";

static struct rt_ask *
tf_ask(long tokens)
{
	static struct rt_ask	a;

	memset(&a, 0, sizeof(a));
	a.tokens = tokens;
	return (&a);
}

Test(route_filter, context_window_from_model_info_and_price_map)
{
	enum rt_empty	 why;
	const struct rt_group *g;
	struct rt_deploy *out[8];
	long		 maxin;

	tf_use(tf_yaml);
	cr_assert_str_eq(tf_pass("win", tf_ask(5), NULL),
	    "small big gpt-3.5-turbo unknown-window");
	/* Over 10: small goes; a window nobody knows passes. */
	cr_assert_str_eq(tf_pass("win", tf_ask(11), NULL),
	    "big gpt-3.5-turbo unknown-window");
	/* gpt-3.5-turbo takes 16385 prompt tokens by the price map. */
	cr_assert_str_eq(tf_pass("win", tf_ask(2000), NULL),
	    "gpt-3.5-turbo unknown-window");
	cr_assert_str_eq(tf_pass("win", tf_ask(16386), NULL),
	    "unknown-window");
	/* No messages: no estimate, nothing filtered. */
	cr_assert_str_eq(tf_pass("win", tf_ask(-1), NULL),
	    "small big gpt-3.5-turbo unknown-window");
	/* Every window too small: the context-window reason and the max. */
	g = tf_group("tier");
	cr_assert_eq(rt_filter(tf_cfg, g, tf_ask(5), out, &why, &maxin), 2);
	cr_assert_eq(why, RT_E_NONE);
	cr_assert_eq(rt_max_input(tf_group("win")->d[0]->cfg), 10);
	cr_assert_eq(rt_max_input(tf_group("win")->d[2]->cfg), 16385);
	cr_assert_eq(rt_max_input(tf_group("win")->d[3]->cfg), -1);
}

Test(route_filter, context_window_all_too_small)
{
	static const char yaml[] =
	    "model_list:\n"
	    "  - model_name: m\n"
	    "    litellm_params: { model: openai/a, api_base: http://a/v1 }\n"
	    "    model_info: { max_input_tokens: 10 }\n"
	    "  - model_name: m\n"
	    "    litellm_params: { model: openai/b, api_base: http://a/v1 }\n"
	    "    model_info: { max_input_tokens: 20 }\n"
	    "router_settings: { enable_pre_call_checks: true }\n";
	struct rt_deploy *out[2];
	enum rt_empty	 why;
	long		 maxin;

	tf_use(yaml);
	cr_assert_eq(rt_filter(tf_cfg, tf_group("m"), tf_ask(21), out, &why,
	    &maxin), 0);
	cr_assert_eq(why, RT_E_CONTEXT);
	cr_assert_eq(maxin, 20);
	cr_assert_eq(rt_filter(tf_cfg, tf_group("m"), tf_ask(20), out, &why,
	    &maxin), 1);
}

Test(route_filter, lowest_order_tier_only)
{
	tf_use(tf_yaml);
	/* order 1 wins; no order ranks after every order. */
	cr_assert_str_eq(tf_pass("tier", tf_ask(1), NULL), "one-a one-b");
}

Test(route_filter, checks_off_filter_nothing)
{
	static const char yaml[] =
	    "model_list:\n"
	    "  - model_name: m\n"
	    "    litellm_params: { model: openai/two, api_base: http://a/v1,"
	    " order: 2, tags: [x] }\n"
	    "    model_info: { max_input_tokens: 1 }\n"
	    "  - model_name: m\n"
	    "    litellm_params: { model: openai/one, api_base: http://a/v1,"
	    " order: 1 }\n";
	struct rt_ask	*a = tf_ask(100);

	tf_use(yaml);
	a->ntags = 1;
	a->tags[0] = "y";
	a->region = "eu";
	cr_assert_str_eq(tf_pass("m", a, NULL), "two one");
}

Test(route_filter, region)
{
	struct rt_ask	*a = tf_ask(1);
	enum rt_empty	 why;

	tf_use(tf_yaml);
	cr_assert_str_eq(tf_pass("reg", a, NULL), "eu us nowhere");
	a->region = "eu";
	cr_assert_str_eq(tf_pass("reg", a, NULL), "eu");
	a->region = "ap";
	cr_assert_str_eq(tf_pass("reg", a, &why), "");
	cr_assert_eq(why, RT_E_REGION);
}

Test(route_filter, tags_any_match_then_default)
{
	struct rt_ask	*a = tf_ask(1);
	enum rt_empty	 why;

	tf_use(tf_yaml);
	a->ntags = 1;
	a->tags[0] = "free";
	cr_assert_str_eq(tf_pass("tagged", a, NULL), "free");
	/* Any shared tag is enough. */
	a->ntags = 2;
	a->tags[0] = "nope";
	a->tags[1] = "teamB";
	cr_assert_str_eq(tf_pass("tagged", a, NULL), "paid");
	/* No deployment has the tag: the default ones. */
	a->ntags = 1;
	a->tags[0] = "other";
	cr_assert_str_eq(tf_pass("tagged", a, NULL), "dflt");
	/* Untagged request: the default ones when there are any ... */
	a->ntags = 0;
	cr_assert_str_eq(tf_pass("tagged", a, NULL), "dflt");
	/* ... else all. */
	cr_assert_str_eq(tf_pass("strict", a, NULL), "s-a s-none");
	/* Tagged, no match and no default: nothing, for the tags. */
	a->ntags = 1;
	a->tags[0] = "b";
	cr_assert_str_eq(tf_pass("strict", a, &why), "");
	cr_assert_eq(why, RT_E_TAGS);
}

/* Route r for model with body json; rt_run's result. */
static int
tf_route(struct req *r, struct wrk *w, const char *model, const char *json)
{
	memset(r, 0, sizeof(*r));
	ar_init(&r->ar, 0);
	r->w = w;
	r->cfg = tf_cfg;
	r->route = "/chat/completions";
	r->model = model;
	r->body = json;
	r->blen = strlen(json);
	cr_assert_eq(js_object(json, r->blen, r->mem, REQ_MAXMEM, &r->nmem,
	    NULL, NULL), LX_OK);
	return (rt_run(r));
}

Test(route_filter, request_tags_from_body_and_metadata)
{
	struct req	 r;
	struct rt_ask	 a;

	tf_use(tf_yaml);
	memset(&r, 0, sizeof(r));
	ar_init(&r.ar, 0);
	r.body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
	    "\"content\":\"hello there\"}],\"metadata\":{\"tags\":[\"a\","
	    "\"b\\\"q\"]},\"tags\":[\"c\",{\"no\":\"t\"},[\"u\"],7]}";
	r.blen = strlen(r.body);
	cr_assert_eq(js_object(r.body, r.blen, r.mem, REQ_MAXMEM, &r.nmem,
	    NULL, NULL), LX_OK);
	cr_assert_eq(rt_ask_parse(&r, &a), LX_OK);
	cr_assert_eq(a.ntags, 3);
	cr_assert_str_eq(a.tags[0], "a");
	cr_assert_str_eq(a.tags[1], "b\"q");
	cr_assert_str_eq(a.tags[2], "c");
	/* 41 bytes of messages: about 11 tokens. */
	cr_assert_eq(a.tokens, 11);
	ar_free(&r.ar);
}

Test(route_filter, run_routes_by_tag)
{
	struct wrk	 w;
	struct req	 r;
	int		 i;

	tf_use(tf_yaml);
	memset(&w, 0, sizeof(w));
	w.cfg = tf_cfg;
	w.rt = tf_rt;
	w.rng[0] = 1;
	w.rng[1] = 2;
	for (i = 0; i < 20; i++) {
		cr_assert_eq(tf_route(&r, &w, "tagged", "{\"messages\":[],"
		    "\"tags\":[\"paid\"]}"), LX_OK);
		cr_assert_str_eq(r.up_model, "paid");
		rt_release(&r);
		ar_free(&r.ar);
	}
}

Test(route_filter, cost_based_takes_the_cheapest)
{
	static const char yaml[] =
	    "model_list:\n"
	    "  - model_name: m\n"
	    "    litellm_params: { model: openai/gpt-4o,"
	    " api_base: http://a/v1 }\n"
	    "  - model_name: m\n"
	    "    litellm_params: { model: openai/gpt-3.5-turbo,"
	    " api_base: http://a/v1 }\n"
	    "  - model_name: m\n"
	    "    litellm_params: { model: openai/no-price,"
	    " api_base: http://a/v1 }\n"
	    "  - model_name: own\n"
	    "    litellm_params: { model: openai/gpt-3.5-turbo,"
	    " api_base: http://a/v1 }\n"
	    "  - model_name: own\n"
	    "    litellm_params: { model: openai/gpt-4o, api_base: http://a/v1,"
	    " input_cost_per_token: 0.0000001 }\n"
	    "    model_info: { output_cost_per_token: 0.0000001 }\n"
	    "router_settings: { routing_strategy: cost-based-routing }\n";
	struct wrk	 w;
	struct req	 r;

	tf_use(yaml);
	cr_assert_float_eq(rt_cost(tf_group("m")->d[0]->cfg), 0.0000125,
	    1e-12);
	cr_assert_float_eq(rt_cost(tf_group("m")->d[2]->cfg), 10.0, 1e-9);
	memset(&w, 0, sizeof(w));
	w.cfg = tf_cfg;
	w.rt = tf_rt;
	cr_assert_eq(tf_route(&r, &w, "m", "{\"messages\":[]}"), LX_OK);
	cr_assert_str_eq(r.up_model, "gpt-3.5-turbo");
	rt_release(&r);
	ar_free(&r.ar);
	/* The deployment's own prices win over the map. */
	cr_assert_eq(tf_route(&r, &w, "own", "{\"messages\":[]}"), LX_OK);
	cr_assert_str_eq(r.up_model, "gpt-4o");
	rt_release(&r);
	ar_free(&r.ar);
}

/* Shares of n seeded picks of group against the expected ones, in 1e-4. */
static void
tf_shares(const char *group, const double *want, size_t nd)
{
	struct wrk	 w;
	struct req	 r;
	long		 seen[8] = { 0 };
	const int	 n = 10000;
	size_t		 k;
	int		 i;

	memset(&w, 0, sizeof(w));
	w.cfg = tf_cfg;
	w.rt = tf_rt;
	w.rng[0] = 0x243f6a8885a308d3ULL;
	w.rng[1] = 0x13198a2e03707345ULL;
	for (i = 0; i < n; i++) {
		cr_assert_eq(tf_route(&r, &w, group, "{}"), LX_OK);
		for (k = 0; k < nd; k++)
			if (r.dep == tf_group(group)->d[k]->cfg)
				seen[k]++;
		rt_release(&r);
		ar_free(&r.ar);
	}
	for (k = 0; k < nd; k++)
		cr_assert(fabs((double)seen[k] / n - want[k]) < 0.02,
		    "%s deployment %zu: %ld of %d picks, want %.2f", group, k,
		    seen[k], n, want[k]);
}

Test(route_filter, shuffle_distribution_within_two_percent)
{
	static const char yaml[] =
	    "model_list:\n"
	    "  - model_name: w\n"
	    "    litellm_params: { model: openai/a, api_base: http://a/v1,"
	    " weight: 1, rpm: 900 }\n"
	    "  - model_name: w\n"
	    "    litellm_params: { model: openai/b, api_base: http://a/v1,"
	    " weight: 2 }\n"
	    "  - model_name: w\n"
	    "    litellm_params: { model: openai/c, api_base: http://a/v1,"
	    " weight: 7 }\n"
	    "  - model_name: r\n"
	    "    litellm_params: { model: openai/a, api_base: http://a/v1,"
	    " rpm: 100, tpm: 100000 }\n"
	    "  - model_name: r\n"
	    "    litellm_params: { model: openai/b, api_base: http://a/v1,"
	    " rpm: 300 }\n"
	    "  - model_name: r\n"
	    "    litellm_params: { model: openai/c, api_base: http://a/v1,"
	    " rpm: 600 }\n"
	    "  - model_name: t\n"
	    "    litellm_params: { model: openai/a, api_base: http://a/v1,"
	    " tpm: 1000 }\n"
	    "  - model_name: t\n"
	    "    litellm_params: { model: openai/b, api_base: http://a/v1,"
	    " tpm: 3000 }\n"
	    "  - model_name: u\n"
	    "    litellm_params: { model: openai/a, api_base: http://a/v1 }\n"
	    "  - model_name: u\n"
	    "    litellm_params: { model: openai/b, api_base: http://a/v1 }\n"
	    "  - model_name: u\n"
	    "    litellm_params: { model: openai/c, api_base: http://a/v1 }\n"
	    "  - model_name: u\n"
	    "    litellm_params: { model: openai/d, api_base: http://a/v1 }\n";
	static const double ww[] = { 0.1, 0.2, 0.7 };
	static const double wr[] = { 0.1, 0.3, 0.6 };
	static const double wt[] = { 0.25, 0.75 };
	static const double wu[] = { 0.25, 0.25, 0.25, 0.25 };

	tf_use(yaml);
	/* The first deployment decides: weight, else rpm, else tpm. */
	tf_shares("w", ww, 3);
	tf_shares("r", wr, 3);
	tf_shares("t", wt, 2);
	tf_shares("u", wu, 4);
}

Test(route_filter, both_alias_forms_route)
{
	static const char yaml[] =
	    "model_list:\n"
	    "  - model_name: real\n"
	    "    litellm_params: { model: openai/up, api_base: http://a/v1 }\n"
	    "router_settings:\n"
	    "  model_group_alias:\n"
	    "    plain: real\n"
	    "    quiet: { model: real, hidden: true }\n";
	struct wrk	 w;
	struct req	 r;

	tf_use(yaml);
	memset(&w, 0, sizeof(w));
	w.cfg = tf_cfg;
	w.rt = tf_rt;
	/* Hidden only keeps an alias out of /models; it still routes. */
	cr_assert_eq(tf_route(&r, &w, "plain", "{}"), LX_OK);
	cr_assert_str_eq(r.dep->model_name, "real");
	rt_release(&r);
	ar_free(&r.ar);
	cr_assert_eq(tf_route(&r, &w, "quiet", "{}"), LX_OK);
	cr_assert_str_eq(r.dep->model_name, "real");
	rt_release(&r);
	ar_free(&r.ar);
}
