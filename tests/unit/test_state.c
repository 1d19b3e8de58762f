/*
 * The shared state (state.c) on a fresh environment per test: picks count
 * in one transaction, releases and dead slots take counts back, minutes
 * roll, a full map fails cleanly; and each strategy's choice on fixed
 * state (route.c's choose functions).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "arena.h"
#include "cfg.h"
#include "req.h"
#include "route.h"
#include "state.h"
#include "worker.h"

static char		 ts_dir[] = "/tmp/llmux-state-XXXXXX";
static const double	 ts_now = 1800000000.0;	/* a minute's start */

static void
ts_setup(void)
{
	strcpy(ts_dir, "/tmp/llmux-state-XXXXXX");
	cr_assert_not_null(mkdtemp(ts_dir));
}

static void
ts_teardown(void)
{
	char	path[600];

	snprintf(path, sizeof(path), "%s/data.mdb", ts_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", ts_dir);
	unlink(path);
	rmdir(ts_dir);
}

TestSuite(state, .init = ts_setup, .fini = ts_teardown);

static struct st *
ts_open(unsigned slot, size_t mapsize)
{
	struct st	*st;
	char		 err[256];

	st = st_open(ts_dir, slot, mapsize, err, sizeof(err));
	cr_assert_not_null(st, "open: %s", err);
	return (st);
}

/* choose callbacks: a fixed index, or nothing. */
static int
ts_take(void *arg, const struct st_dep *recs, size_t n)
{
	return (*(int *)arg);
}

Test(state, pick_counts_and_release_takes_back)
{
	struct st	*st = ts_open(3, 0);
	const char	*ids[] = { "a", "b" };
	struct st_dep	 recs[2], d;
	int		 one = 1;

	cr_assert_eq(st_pick(st, ids, 2, recs, ts_take, &one, ts_now), 1);
	cr_assert_eq(st_pick(st, ids, 2, recs, ts_take, &one, ts_now + 1), 1);
	/* The second pick saw the first one's count. */
	cr_assert_eq(recs[1].req, 2);
	cr_assert_eq(recs[1].inflight, 2);
	cr_assert_eq(recs[0].req, 0);
	cr_assert_eq(st_release(st, "b", NULL, NULL, ts_now + 2), LX_OK);
	cr_assert_eq(st_get(st, "b", &d, ts_now + 2), LX_OK);
	cr_assert_eq(d.inflight, 1);
	cr_assert_eq(d.req, 2, "a release does not uncount the request");
	st_close(st);
}

Test(state, declined_pick_counts_nothing)
{
	struct st	*st = ts_open(0, 0);
	const char	*ids[] = { "a" };
	struct st_dep	 recs[1], d;
	int		 none = -1;

	cr_assert_eq(st_pick(st, ids, 1, recs, ts_take, &none, ts_now),
	    LX_DECLINED);
	cr_assert_eq(st_get(st, "a", &d, ts_now), LX_OK);
	cr_assert_eq(d.req, 0);
	cr_assert_eq(d.inflight, 0);
	st_close(st);
}

Test(state, counters_of_an_earlier_minute_read_as_zero)
{
	struct st	*st = ts_open(0, 0);
	const char	*ids[] = { "a" };
	struct st_dep	 recs[1], d;
	int		 zero = 0;

	cr_assert_eq(st_pick(st, ids, 1, recs, ts_take, &zero, ts_now + 59),
	    0);
	cr_assert_eq(st_get(st, "a", &d, ts_now + 59.5), LX_OK);
	cr_assert_eq(d.req, 1);
	cr_assert_eq(st_get(st, "a", &d, ts_now + 60), LX_OK);
	cr_assert_eq(d.req, 0, "a new minute starts at zero");
	cr_assert_eq(d.inflight, 1, "in-flight counts are not per minute");
	st_close(st);
}

Test(state, slot_clear_removes_only_that_slots_counts)
{
	struct st	*w0 = ts_open(0, 0), *w1 = ts_open(1, 0);
	const char	*ids[] = { "a" };
	struct st_dep	 recs[1], d;
	int		 zero = 0, i;

	/* Two workers, two handles on one environment. */
	for (i = 0; i < 3; i++)
		cr_assert_eq(st_pick(w0, ids, 1, recs, ts_take, &zero,
		    ts_now), 0);
	cr_assert_eq(st_pick(w1, ids, 1, recs, ts_take, &zero, ts_now), 0);
	cr_assert_eq(recs[0].inflight, 4);
	/* Worker 0 dies: the master clears its slot with its own handle. */
	cr_assert_eq(st_slot_clear(ts_dir, 0), LX_OK);
	cr_assert_eq(st_get(w1, "a", &d, ts_now), LX_OK);
	cr_assert_eq(d.inflight, 1);
	cr_assert_eq(d.req, 4, "the requests stay counted");
	/* Clearing again, or an empty slot, changes nothing. */
	cr_assert_eq(st_slot_clear(ts_dir, 0), LX_OK);
	cr_assert_eq(st_slot_clear(ts_dir, 7), LX_OK);
	cr_assert_eq(st_get(w1, "a", &d, ts_now), LX_OK);
	cr_assert_eq(d.inflight, 1);
	cr_assert_eq(st_release(w1, "a", NULL, NULL, ts_now), LX_OK);
	cr_assert_eq(st_get(w1, "a", &d, ts_now), LX_OK);
	cr_assert_eq(d.inflight, 0);
	st_close(w0);
	st_close(w1);
}

static void
ts_cool(void *arg, struct st_dep *d)
{
	d->cool_until = *(double *)arg;
	d->fails++;
}

Test(state, release_updates_the_record_in_its_transaction)
{
	struct st	*st = ts_open(0, 0);
	const char	*ids[] = { "a" };
	struct st_dep	 recs[1], d;
	double		 until = ts_now + 30;
	int		 zero = 0;

	cr_assert_eq(st_pick(st, ids, 1, recs, ts_take, &zero, ts_now), 0);
	cr_assert_eq(st_release(st, "a", ts_cool, &until, ts_now), LX_OK);
	cr_assert_eq(st_get(st, "a", &d, ts_now), LX_OK);
	cr_assert_eq(d.fails, 1);
	cr_assert_float_eq(d.cool_until, until, 1e-9);
	cr_assert_eq(d.inflight, 0);
	st_close(st);
}

Test(state, full_map_fails_and_says_so)
{
	struct st	*st = ts_open(0, 64 * 1024);
	struct st_dep	 recs[1];
	char		 id[64];
	const char	*ids[] = { id };
	int		 zero = 0, i, rc = 0;

	for (i = 0; i < 100000; i++) {
		snprintf(id, sizeof(id), "deployment-%06d", i);
		if ((rc = st_pick(st, ids, 1, recs, ts_take, &zero,
		    ts_now)) != 0)
			break;
	}
	cr_assert_eq(rc, LX_ERR);
	cr_assert(st_full(st), "the error is a full map: %s", st_error(st));
	cr_assert_eq(recs[0].req, 0, "records read back as zero");
	st_close(st);
}

Test(state, create_makes_parents_and_refuses_what_it_cannot_open)
{
	struct st	*st;
	char		 dir[700], err[1200];

	snprintf(dir, sizeof(dir), "%s/a/b", ts_dir);
	cr_assert_eq(st_create(dir, err, sizeof(err)), LX_OK, "%s", err);
	cr_assert_not_null(st = st_open(dir, 0, 0, err, sizeof(err)));
	st_close(st);
	snprintf(err, sizeof(err), "%s/a/b/data.mdb", ts_dir);
	unlink(err);
	snprintf(err, sizeof(err), "%s/a/b/lock.mdb", ts_dir);
	unlink(err);
	snprintf(err, sizeof(err), "%s/a/b", ts_dir);
	rmdir(err);
	snprintf(err, sizeof(err), "%s/a", ts_dir);
	rmdir(err);
	/* A file where the folder should be. */
	snprintf(dir, sizeof(dir), "%s/file", ts_dir);
	fclose(fopen(dir, "w"));
	cr_assert_eq(st_create(dir, err, sizeof(err)), LX_ERR);
	cr_assert_not_null(strstr(err, dir), "names the folder: %s", err);
	unlink(dir);
}

Test(state, latency_mean_honours_ttl)
{
	struct st_dep	d;

	memset(&d, 0, sizeof(d));
	cr_assert_float_eq(st_latency(&d, ts_now, 3600), -1, 1e-9);
	d.nlat = 2;
	d.lat[0] = 0.1;
	d.lat[1] = 0.3;
	d.lat_at = ts_now;
	cr_assert_float_eq(st_latency(&d, ts_now + 10, 3600), 0.2, 1e-9);
	cr_assert_float_eq(st_latency(&d, ts_now + 3601, 3600), -1, 1e-9);
}

/* ---- each strategy's choice on fixed state ---------------------- */

static struct wrk	 tc_w;
static struct cfg	 tc_cfg;
static struct req	 tc_r;
static struct cfg_deploy tc_cd[4];
static struct rt_deploy	 tc_rd[4];
static struct rt_deploy	*tc_pd[4];
static struct rt_group	 tc_g = { "g", 4, tc_pd };

static void
tc_setup(void)
{
	size_t	i;

	memset(&tc_w, 0, sizeof(tc_w));
	memset(&tc_cfg, 0, sizeof(tc_cfg));
	memset(&tc_r, 0, sizeof(tc_r));
	tc_w.rng[0] = 0x243f6a8885a308d3ULL;
	tc_w.rng[1] = 0x13198a2e03707345ULL;
	ar_init(&tc_r.ar, 0);
	tc_r.w = &tc_w;
	tc_r.cfg = &tc_cfg;
	for (i = 0; i < 4; i++) {
		memset(&tc_cd[i], 0, sizeof(tc_cd[i]));
		tc_cd[i].weight = -1;
		tc_cd[i].cooldown_time = -1;
		tc_rd[i].cfg = &tc_cd[i];
		tc_pd[i] = &tc_rd[i];
	}
}

static void
tc_teardown(void)
{
	ar_free(&tc_r.ar);
}

TestSuite(choose, .init = tc_setup, .fini = tc_teardown);

static size_t
tc_choose(const char *strategy, const struct st_dep *recs,
    const unsigned char *ok)
{
	const struct rt_strategy *s = rt_strategy_find(strategy);

	cr_assert_not_null(s, "%s is served", strategy);
	return (s->choose(&tc_g, recs, ok, &tc_r, ts_now));
}

Test(choose, least_busy_takes_the_fewest_in_flight)
{
	struct st_dep		recs[4];
	const unsigned char	all[4] = { 1, 1, 1, 1 };
	const unsigned char	no2[4] = { 1, 1, 0, 1 };
	int			i;

	memset(recs, 0, sizeof(recs));
	recs[0].inflight = 5;
	recs[1].inflight = 2;
	recs[2].inflight = 0;
	recs[3].inflight = 1;
	for (i = 0; i < 50; i++)
		cr_assert_eq(tc_choose("least-busy", recs, all), 2);
	/* Among the candidates only. */
	for (i = 0; i < 50; i++)
		cr_assert_eq(tc_choose("least-busy", recs, no2), 3);
}

Test(choose, least_busy_breaks_ties_at_random)
{
	struct st_dep		recs[4];
	const unsigned char	all[4] = { 1, 1, 1, 1 };
	int			seen[4] = { 0 }, i;

	memset(recs, 0, sizeof(recs));
	recs[0].inflight = 1;
	for (i = 0; i < 300; i++)
		seen[tc_choose("least-busy", recs, all)]++;
	cr_assert_eq(seen[0], 0);
	for (i = 1; i < 4; i++)
		cr_assert_gt(seen[i], 60, "deployment %d: %d of 300", i,
		    seen[i]);
}

Test(choose, usage_based_takes_the_fewest_tokens_this_minute)
{
	struct st_dep		recs[4];
	const unsigned char	all[4] = { 1, 1, 1, 1 };
	const unsigned char	no1[4] = { 1, 0, 1, 1 };

	memset(recs, 0, sizeof(recs));
	recs[0].tok = 900;
	recs[1].tok = 100;
	recs[2].tok = 400;
	recs[3].tok = 300;
	recs[1].inflight = 50;		/* in flight does not matter here */
	cr_assert_eq(tc_choose("usage-based-routing", recs, all), 1);
	cr_assert_eq(tc_choose("usage-based-routing-v2", recs, all), 1);
	cr_assert_eq(tc_choose("usage-based-routing-v2", recs, no1), 3);
}

Test(choose, latency_based_takes_the_fastest_or_one_within_the_buffer)
{
	struct st_dep		recs[4];
	const unsigned char	all[4] = { 1, 1, 1, 1 };
	int			seen[4] = { 0 }, i;

	memset(recs, 0, sizeof(recs));
	for (i = 0; i < 4; i++) {
		recs[i].nlat = 1;
		recs[i].lat_at = ts_now;
	}
	recs[0].lat[0] = 0.050;
	recs[1].lat[0] = 0.010;
	recs[2].lat[0] = 0.011;
	recs[3].lat[0] = 0.200;
	for (i = 0; i < 50; i++)
		cr_assert_eq(tc_choose("latency-based-routing", recs, all), 1);
	/* A 20% buffer takes 1 and 2 at random, never the slower ones. */
	tc_cfg.router.lowest_latency_buffer = 0.2;
	for (i = 0; i < 200; i++)
		seen[tc_choose("latency-based-routing", recs, all)]++;
	cr_assert_eq(seen[0] + seen[3], 0);
	cr_assert_gt(seen[1], 40);
	cr_assert_gt(seen[2], 40);
	/* Samples older than ttl count as none: that deployment goes first. */
	tc_cfg.router.lowest_latency_buffer = 0;
	tc_cfg.router.latency_ttl = 60;
	recs[3].lat_at = ts_now - 61;
	cr_assert_eq(tc_choose("latency-based-routing", recs, all), 3);
}

Test(choose, shuffle_weights_only_the_candidates)
{
	struct st_dep		recs[4];
	const unsigned char	some[4] = { 0, 1, 0, 1 };
	int			seen[4] = { 0 }, i;

	memset(recs, 0, sizeof(recs));
	for (i = 0; i < 4; i++)
		tc_cd[i].weight = i + 1;
	for (i = 0; i < 4000; i++)
		seen[tc_choose("simple-shuffle", recs, some)]++;
	cr_assert_eq(seen[0] + seen[2], 0);
	/* Weights 2 and 4: a third and two thirds. */
	cr_assert(seen[1] > 1200 && seen[1] < 1470, "%d of 4000", seen[1]);
}

/* ---- the route stage on a full map ------------------------------ */

static const char tf_yaml[] =
    "model_list:\n"
    "  - model_name: pair\n"
    "    litellm_params: { model: openai/p0, api_base: http://h0/v1,"
    " rpm: 1 }\n"
    "  - model_name: pair\n"
    "    litellm_params: { model: openai/p1, api_base: http://h1/v1,"
    " rpm: 1 }\n";

Test(state, full_map_still_routes_without_counters)
{
	struct cfg_diags	 d;
	struct cfg		*c;
	struct wrk		 w;
	struct arena		 war;
	struct req		 r;
	struct st		*st = ts_open(0, 64 * 1024);
	struct st_dep		 recs[1];
	char			 path[600], id[128];
	const char		*ids[] = { id };
	unsigned long		 errs = rt_state_errors();
	int			 zero = 0, i, miss;
	FILE			*f;

	snprintf(path, sizeof(path), "%s/config.yaml", ts_dir);
	cr_assert_not_null(f = fopen(path, "w"));
	fputs(tf_yaml, f);
	fclose(f);
	cfg_diags_init(&d);
	c = cfg_load(path, &d);
	cfg_diags_free(&d);
	unlink(path);
	cr_assert_not_null(c);
	memset(&w, 0, sizeof(w));
	ar_init(&war, 0);
	w.cfg = c;
	w.rng[0] = 1;
	w.rng[1] = 3;
	cr_assert_not_null(w.rt = rt_table_new(c, &war));
	/*
	 * Fill the map with keys beside the deployments' own, so that the
	 * pages their records would go to are full too.
	 */
	for (i = 0, miss = 0; i < 200000 && miss < 200; i++) {
		snprintf(id, sizeof(id), "%s-%06d", c->deploy[i % 2].id, i);
		if (st_pick(st, ids, 1, recs, ts_take, &zero, ts_now) != 0)
			miss++;
	}
	cr_assert(st_full(st));
	rt_state_set(st);
	/* rpm 1 each, yet three requests go: no counter can be written. */
	for (i = 0; i < 3; i++) {
		memset(&r, 0, sizeof(r));
		ar_init(&r.ar, 0);
		r.w = &w;
		r.cfg = c;
		r.route = "/chat/completions";
		r.model = "pair";
		cr_assert_eq(rt_run(&r), LX_OK, "request %d is served", i);
		cr_assert_eq(r.st_counted, 0);
		rt_release(&r);
		ar_free(&r.ar);
	}
	cr_assert_eq(rt_state_errors(), errs + 3, "each failure is counted");
	rt_state_set(NULL);
	st_close(st);
	rt_table_free(w.rt);
	ar_free(&war);
	cfg_free(c);
}
