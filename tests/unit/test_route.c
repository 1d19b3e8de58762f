/*
 * The route stage against a real config: LiteLLM's resolution order,
 * wildcard captures, and simple-shuffle's picks under a seeded generator.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>

#include "arena.h"
#include "cfg.h"
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
