/*
 * req.c: the request state machine: the stage sequence, the decision on
 * an upstream outcome, the finish stages, and the pool of requests.
 *
 * A request runs the stages below in order, each setting its state.  A
 * stage returns LX_OK to go on, LX_ERR when it has answered the client
 * (through err_reply), or LX_AGAIN when it waits on I/O.  The provider
 * stage ends in an outcome (r->oc), handed to req_outcome() by the relay
 * when the call ends, or found after the last stage when the answer was
 * made at once (mock_response): req_outcome() decides what to do with it.
 * Whatever path a request takes, req_finish() runs the finish stages once
 * and the worker frees it after the loop pass, never inside a callback
 * that may still use it.
 *
 * Per-worker state lives in the statics of the module that owns it (a
 * worker is one process): this file's request pool, upstream.c's curl
 * handles.  struct wrk holds what worker.c itself runs.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "auth.h"
#include "cfg.h"
#include "err.h"
#include "listen.h"
#include "log.h"
#include "prov.h"
#include "relay.h"
#include "req.h"
#include "route.h"
#include "upstream.h"
#include "worker.h"

struct req_stage {
	const char	*name;
	enum req_state	 state;
	int		(*run)(struct req *);
};

static int	req_mock_testing(struct req *);
static void	req_run_from(struct req *, size_t);

static const struct req_stage req_stages[] = {
	{ "auth",	RS_AUTH,	auth_run },
	{ "parse",	RS_PARSE,	lsn_parse_chat },
	{ "route",	RS_ROUTE,	rt_run },
	{ "mock",	RS_ROUTE,	req_mock_testing },	/* mock_testing_* */
	{ "provider",	RS_UPSTREAM,	prov_run },	/* LX_AGAIN: relay.c */
};

/*
 * What every request does at its end, in this order, whatever ended it.
 * "account" is a no-op until spend lands (it will read r->prompt_tokens
 * and r->completion_tokens); "log" writes a debug line only.
 */
struct req_fin {
	const char	*name;
	void		(*run)(struct req *, enum req_state last);
};

static void	req_fin_timers(struct req *, enum req_state);
static void	req_fin_upstream(struct req *, enum req_state);
static void	req_fin_respond(struct req *, enum req_state);
static void	req_fin_release(struct req *, enum req_state);
static void	req_fin_account(struct req *, enum req_state);
static void	req_fin_log(struct req *, enum req_state);

static const struct req_fin req_fins[] = {
	{ "timers",	req_fin_timers },	/* sse_keepalive off */
	{ "upstream",	req_fin_upstream },	/* abort a call still running */
	{ "respond",	req_fin_respond },	/* end the stream, or a last 500 */
	{ "release",	req_fin_release },	/* the strategy's counters */
	{ "account",	req_fin_account },	/* no-op for now */
	{ "log",	req_fin_log },
};

/* Where a retry or a fallback starts the stages again. */
#define REQ_STAGE_ROUTE	2

static const char *const req_state_names[] = {
	[RS_NEW] = "new", [RS_AUTH] = "auth", [RS_PARSE] = "parse",
	[RS_ROUTE] = "route", [RS_UPSTREAM] = "upstream",
	[RS_STREAMING] = "streaming", [RS_REPLIED] = "replied",
	[RS_DONE] = "done",
};

const char *
req_state_name(enum req_state s)
{
	if ((size_t)s >= LX_NELEM(req_state_names))
		return ("unknown");
	return (req_state_names[s]);
}

uint64_t
req_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

void
req_run(struct req *r)
{
	req_run_from(r, 0);
}

static void
req_run_from(struct req *r, size_t first)
{
	size_t	i;
	int	rc;

	for (i = first; i < LX_NELEM(req_stages); i++) {
		r->state = req_stages[i].state;
		rc = req_stages[i].run(r);
		if (rc != LX_OK)
			return;		/* answered, or a callback resumes */
		if (ar_failed(&r->ar)) {
			err_reply(r, 500, "internal_server_error", NULL,
			    "out of memory in stage %s", req_stages[i].name);
			return;
		}
	}
	/* Answered without waiting (mock_response): the outcome is ready. */
	req_outcome(r);
}

static const struct timeval	req_fail_window = { 1, 0 };

/* A deployment's window is over: the failures it counted, in one line. */
static void
req_fails_close(evutil_socket_t fd, short what, void *arg)
{
	struct rt_deploy	*d = arg;

	if (d->fails.n == 0) {
		d->fails.on = 0;
		return;
	}
	log_msg(LOG_LVL_WARN, NULL, "deployment %s (%s): %u more upstream "
	    "failures in the last second", d->cfg->model_name, d->cfg->model,
	    d->fails.n);
	d->fails.n = 0;
	/* Still failing, most likely: count the next second too. */
	evtimer_add(&d->fails.ev, &req_fail_window);
}

/*
 * Log a failed upstream call once per deployment and second: a down
 * upstream must not turn every request into a warning line.  The first
 * of a window is logged whole, the rest counted for req_fails_close().
 */
static void
req_log_failure(struct req *r, const struct rly_outcome *o)
{
	struct rt_deploy	*d = r->picked;

	if (d == NULL)
		return;		/* err_reply logs it as usual */
	r->err_logged = 1;
	if (d->fails.on) {
		d->fails.n++;
		return;
	}
	if (!d->fails.assigned) {
		evtimer_assign(&d->fails.ev, r->w->base, req_fails_close, d);
		d->fails.assigned = 1;
	}
	d->fails.on = 1;
	d->fails.n = 0;
	evtimer_add(&d->fails.ev, &req_fail_window);
	log_msg(o->status >= 500 ? LOG_LVL_WARN : LOG_LVL_INFO, r->id,
	    "%s %d: %s", r->route, o->status, o->msg);
}

/* A 2xx answer is in r->out: the end of a stream, or a whole body. */
static void
req_reply_ok(struct req *r)
{
	if (r->stream) {
		req_stream_start(r);
		req_stream_flush(r);
	} else {
		evhttp_add_header(evhttp_request_get_output_headers(r->ev),
		    "Content-Type", "application/json");
		req_reply(r, 200, r->out);
	}
	req_finish(r);
}

/*
 * Retries and fallbacks, as LiteLLM's router does them (its
 * async_function_with_fallbacks around async_function_with_retries):
 * a failed attempt is tried again in the same group, re-entering routing
 * so another deployment may answer, up to the retry budget; when the
 * group is done, the fallback list chosen by the error class is walked,
 * each group with a budget of its own.  Every wait is a libevent timer.
 */
#define REQ_DEF_RETRIES		2	/* LiteLLM's default num_retries */
#define REQ_DEF_FALLBACKS	5	/* and max_fallbacks */
#define REQ_RETRY_DELAY0	0.5	/* backoff: 0.5 s, doubling... */
#define REQ_RETRY_DELAY_MAX	8.0	/* ...up to 8 s */
#define REQ_RETRY_JITTER	0.75	/* minus up to 75 % */
#define REQ_RETRY_AFTER_MAX	60.0	/* an upstream's retry-after kept */

static int
req_is(const struct rly_outcome *o, const char *cls)
{
	return (o->cls != NULL && strcmp(o->cls, cls) == 0);
}

/* A top-level body member that is JSON true. */
static int
req_flag(const struct req *r, const char *key)
{
	const struct js_mem	*m = js_find(r->mem, r->nmem, key);

	return (m != NULL && m->type == JS_TRUE);
}

/* The router_settings list, else the litellm_settings one. */
static const struct cfg_fallbacks *
req_cfg_list(const struct cfg_fallbacks *router,
    const struct cfg_fallbacks *litellm)
{
	return (router->n > 0 ? router : litellm);
}

/* Deployments in r's current group: 1 for one named directly. */
static size_t
req_group_size(const struct req *r)
{
	const struct cfg	*c = r->cfg;
	size_t			 i, n = 0;

	if (r->dep == NULL)
		return (0);
	for (i = 0; i < c->ndeploy; i++)
		n += strcmp(c->deploy[i].model_name, r->dep->model_name) == 0;
	return (n > 0 ? n : 1);
}

/*
 * router_settings.retry_policy for class cls, in LiteLLM's order: the
 * BadRequestError family first (its context-window and content-policy
 * subclasses included), then the others.  CFG_UNSET_INT: not set.
 */
static long
req_policy(const struct req *r, const char *cls)
{
	const struct cfg_retry_policy *p = &r->cfg->router.retry_policy;

	if (cls == NULL)
		return (CFG_UNSET_INT);
	if (p->bad_request >= 0 && (strcmp(cls, "BadRequestError") == 0 ||
	    strcmp(cls, "ContextWindowExceededError") == 0 ||
	    strcmp(cls, "ContentPolicyViolationError") == 0))
		return (p->bad_request);
	if (strcmp(cls, "AuthenticationError") == 0)
		return (p->authentication);
	if (strcmp(cls, "Timeout") == 0)
		return (p->timeout);
	if (strcmp(cls, "RateLimitError") == 0)
		return (p->rate_limit);
	if (strcmp(cls, "ContentPolicyViolationError") == 0)
		return (p->content_policy);
	if (strcmp(cls, "InternalServerError") == 0)
		return (p->internal_server);
	return (CFG_UNSET_INT);
}

/*
 * The retry budget of the current group for an error of class cls (NULL:
 * none yet): retry_policy for the class, else the deployment's
 * num_retries, else the request's, else router_settings, else
 * litellm_settings, else 2.
 */
static int
req_budget(const struct req *r, const char *cls)
{
	const struct js_mem	*m;
	double			 d;
	long			 p;

	if ((p = req_policy(r, cls)) >= 0)
		return ((int)p);
	if (r->dep != NULL && r->dep->num_retries >= 0)
		return ((int)r->dep->num_retries);
	if ((m = js_find(r->mem, r->nmem, "num_retries")) != NULL &&
	    js_number(m, &d) == LX_OK && d >= 0 && d < 1000)
		return ((int)d);
	if (r->cfg->router.num_retries >= 0)
		return ((int)r->cfg->router.num_retries);
	if (r->cfg->litellm.num_retries >= 0)
		return ((int)r->cfg->litellm.num_retries);
	return (REQ_DEF_RETRIES);
}

/* Does the request or the config name fallbacks for o's class? */
static int
req_class_lists(const struct req *r, const struct rly_outcome *o)
{
	const struct cfg	*c = r->cfg;

	if (req_is(o, "ContextWindowExceededError"))
		return (js_find(r->mem, r->nmem, "context_window_fallbacks") !=
		    NULL || req_cfg_list(&c->router.context_window_fallbacks,
		    &c->litellm.context_window_fallbacks)->n > 0);
	if (req_is(o, "ContentPolicyViolationError"))
		return (js_find(r->mem, r->nmem, "content_policy_fallbacks") !=
		    NULL || req_cfg_list(&c->router.content_policy_fallbacks,
		    &c->litellm.content_policy_fallbacks)->n > 0);
	return (0);
}

/* LiteLLM's should_retry_this_error, less what cooldowns decide. */
static int
req_should_retry(struct req *r, const struct rly_outcome *o)
{
	r->max_retries = req_budget(r, o->cls);
	if (r->mock_noretry || req_class_lists(r, o) ||
	    req_is(o, "NotFoundError"))
		return (0);
	if (req_is(o, "AuthenticationError") && req_group_size(r) <= 1)
		return (0);
	return (r->retries < r->max_retries);
}

/*
 * Seconds before the next try in the same group: none when the group has
 * another deployment to go to; else the upstream's retry-after (up to a
 * minute), else exponential backoff with jitter; never below
 * router_settings.retry_after.
 */
static double
req_retry_delay(struct req *r, const struct rly_outcome *o)
{
	double	s, min = r->cfg->router.retry_after > 0 ?
		    r->cfg->router.retry_after : 0;
	char	*e;

	if (req_group_size(r) > 1)
		return (0);
	if (o->retry_after != NULL) {
		s = strtod(o->retry_after, &e);
		if (e != o->retry_after && s > 0 && s <= REQ_RETRY_AFTER_MAX)
			return (s);
	}
	s = REQ_RETRY_DELAY0 * (double)(1U << (r->retries < 8 ?
	    r->retries : 8));
	if (s > REQ_RETRY_DELAY_MAX)
		s = REQ_RETRY_DELAY_MAX;
	s *= 1 - REQ_RETRY_JITTER * ((double)(wrk_random(r->w) >> 11) /
	    9007199254740992.0);
	return (s > min ? s : min);
}

static void	req_retry_fire(evutil_socket_t, short, void *);

static void
req_wait(struct req *r, double s)
{
	struct timeval	tv;

	if (!r->retry_on) {
		evtimer_assign(&r->retry_ev, r->w->base, req_retry_fire, r);
		r->retry_on = 1;
	}
	/*
	 * A keep-alive comment would start the stream, after which nothing
	 * may be tried again: sse_keepalive pauses during the wait and the
	 * next call (rly_start) arms it anew.
	 */
	if (r->ka_on) {
		evtimer_del(&r->ka);
		r->ka_on = 0;
	}
	tv.tv_sec = (time_t)s;
	tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
	evtimer_add(&r->retry_ev, &tv);
}

/* Python's repr of a config list: [{'a': ['b', 'c']}], or None. */
static const char *
req_repr_list(struct req *r, const struct cfg_fallbacks *l)
{
	struct evbuffer	*b;
	const char	*s;
	size_t		 i, j;

	if (l->n == 0)
		return ("None");
	if ((b = evbuffer_new()) == NULL)
		return ("[...]");
	evbuffer_add(b, "[", 1);
	for (i = 0; i < l->n; i++) {
		evbuffer_add_printf(b, "%s{'%s': [", i > 0 ? ", " : "",
		    l->v[i].group);
		for (j = 0; j < l->v[i].to.n; j++)
			evbuffer_add_printf(b, "%s'%s'", j > 0 ? ", " : "",
			    l->v[i].to.v[j]);
		evbuffer_add(b, "]}", 2);
	}
	evbuffer_add(b, "]", 1);
	s = ar_strndup(&r->ar, (const char *)evbuffer_pullup(b, -1),
	    evbuffer_get_length(b));
	evbuffer_free(b);
	return (s != NULL ? s : "[...]");
}

/* Python's repr of a list of names: ['a', 'b']. */
static const char *
req_repr_strv(struct req *r, const struct cfg_strv *v)
{
	const char	*s = "[";
	size_t		 i;

	for (i = 0; s != NULL && i < v->n; i++)
		s = ar_printf(&r->ar, "%s%s'%s'", s, i > 0 ? ", " : "",
		    v->v[i]);
	s = s != NULL ? ar_printf(&r->ar, "%s]", s) : NULL;
	return (s != NULL ? s : "[...]");
}

/* The request's own member key as text, else the config list's repr. */
static const char *
req_repr(struct req *r, const char *key, const struct cfg_fallbacks *l)
{
	const struct js_mem	*m = js_find(r->mem, r->nmem, key);

	if (m != NULL)
		return (ar_strndup(&r->ar, m->val, m->vlen));
	return (req_repr_list(r, l));
}

/*
 * One value of the JSON array whose text *pp points into (just past '['
 * or a ','): its text in *v, *vl.  0 at the end.  The body was validated
 * whole, so brackets and strings pair up.
 */
static int
req_arr_next(const char **pp, const char *end, const char **v, size_t *vl)
{
	const char	*p = *pp;
	int		 depth = 0;

	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r' || *p == ','))
		p++;
	if (p >= end || *p == ']')
		return (0);
	*v = p;
	for (; p < end; p++) {
		if (*p == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']') {
			if (depth == 0)
				break;
			depth--;
		} else if (*p == ',' && depth == 0)
			break;
	}
	*vl = (size_t)(p - *v);
	while (*vl > 0 && ((*v)[*vl - 1] == ' ' || (*v)[*vl - 1] == '\n' ||
	    (*v)[*vl - 1] == '\t' || (*v)[*vl - 1] == '\r'))
		(*vl)--;
	*pp = p;
	return (1);
}

/*
 * One level of LiteLLM's run_async_fallback: the list chosen for a group
 * that failed, walked in order.  A fallback group that fails in turn gets
 * a level of its own (its own list), so levels nest; LiteLLM's
 * fallback_depth grows by one per group tried and a level is not entered
 * at max_fallbacks.  Frames live in the request's arena.
 */
struct req_fb {
	struct req_fb		*up;		/* the level that tried group */
	const char		*group;		/* the group whose list this is */
	const char		**to;		/* the fallback groups */
	const char		**msgs;		/* per entry: messages JSON */
	size_t			 n, next, max;
	int			 depth;		/* LiteLLM's fallback_depth */
	const char		*shown;		/* the list, Python repr */
	struct rly_outcome	 err;		/* the group's own error */
	const char		*last;		/* the last fallback's error */
};

#define REQ_FB_MAX	64	/* entries of a request's own list kept */

/* Add one entry (a group, optional messages JSON) to f. */
static void
req_fb_add(struct req *r, struct req_fb *f, const char *group,
    const char *msgs, size_t max)
{
	if (f->to == NULL) {
		f->to = ar_calloc(&r->ar, sizeof(*f->to) * max);
		f->msgs = ar_calloc(&r->ar, sizeof(*f->msgs) * max);
		f->max = max;
	}
	if (f->to == NULL || f->msgs == NULL || group == NULL ||
	    f->n >= f->max)
		return;
	f->to[f->n] = group;
	f->msgs[f->n] = msgs;
	f->n++;
}

/*
 * A request's list (JSON array text): strings name groups, {"model": m,
 * "messages": [...]} entries name a group with the messages to send it,
 * and {group: [names]} entries (the config's shape) apply to group g.
 */
static void
req_fb_request(struct req *r, struct req_fb *f, const struct js_mem *m)
{
	const char		*p, *end, *v, *iv, *ip;
	size_t			 vl, ivl, n;
	struct js_mem		 e[16];
	const struct js_mem	*mm, *ms;

	if (m->type != JS_ARR)
		return;
	p = m->val + 1;
	end = m->val + m->vlen;
	for (v = NULL; req_arr_next(&p, end, &v, &vl); v = NULL) {
		if (*v == '"') {
			req_fb_add(r, f, js_string(&r->ar, v, vl), NULL,
			    REQ_FB_MAX);
			continue;
		}
		if (*v != '{' || js_object(v, vl, e, LX_NELEM(e), &n, NULL,
		    NULL) != LX_OK)
			continue;
		if ((mm = js_find(e, n, "model")) != NULL &&
		    mm->type == JS_STR) {
			ms = js_find(e, n, "messages");
			req_fb_add(r, f, js_string(&r->ar, mm->val, mm->vlen),
			    ms != NULL && ms->type == JS_ARR ?
			    ar_strndup(&r->ar, ms->val, ms->vlen) : NULL,
			    REQ_FB_MAX);
			continue;
		}
		if (((mm = js_find(e, n, f->group)) == NULL &&
		    (mm = js_find(e, n, "*")) == NULL) || mm->type != JS_ARR)
			continue;
		ip = mm->val + 1;
		for (iv = NULL; req_arr_next(&ip, mm->val + mm->vlen, &iv,
		    &ivl); iv = NULL)
			if (*iv == '"')
				req_fb_add(r, f, js_string(&r->ar, iv, ivl),
				    NULL, REQ_FB_MAX);
	}
}

/* The config's list for group g: exact, without provider prefix, "*". */
static const struct cfg_strv *
req_fb_config(const struct cfg_fallbacks *l, const char *g)
{
	const char	*slash = strchr(g, '/');
	size_t		 i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].group, g) == 0)
			return (&l->v[i].to);
	for (i = 0; slash != NULL && i < l->n; i++)
		if (strcmp(l->v[i].group, slash + 1) == 0)
			return (&l->v[i].to);
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].group, "*") == 0)
			return (&l->v[i].to);
	return (NULL);
}

static void
req_fb_take(struct req *r, struct req_fb *f, const struct cfg_strv *to)
{
	size_t	i;

	for (i = 0; i < to->n; i++)
		req_fb_add(r, f, to->v[i], NULL, to->n);
}

/* e->msg gets more text, as LiteLLM appends to the exception. */
static void
req_fb_note(struct req *r, struct rly_outcome *e, const char *fmt,
    const char *a, const char *b, const char *c)
{
	const char	*m = ar_printf(&r->ar, fmt, a, b, c);

	if (m != NULL)
		e->msg = ar_printf(&r->ar, "%s%s", e->msg != NULL ? e->msg :
		    "", m);
}

/* The Python repr of the names in f: ['a', 'b']. */
static const char *
req_fb_shown(struct req *r, const struct req_fb *f)
{
	struct cfg_strv	v;

	v.n = f->n;
	v.v = f->to;
	return (req_repr_strv(r, &v));
}

/*
 * The special list of a context-window or content-policy error: 1 with
 * the list taken, -1 when lists of that kind exist but none for the
 * group (the error is raised as is), 0 when there are none at all.
 */
static int
req_fb_special(struct req *r, struct req_fb *f, const char *key,
    const struct cfg_fallbacks *l)
{
	const struct js_mem	*m = js_find(r->mem, r->nmem, key);
	const struct cfg_strv	*to;

	if (m != NULL) {
		req_fb_request(r, f, m);
		return (f->n > 0 ? 1 : -1);
	}
	if (l->n == 0)
		return (0);
	if ((to = req_fb_config(l, f->group)) == NULL)
		return (-1);
	req_fb_take(r, f, to);
	return (1);
}

/*
 * Fill f with the list for its group's error f->err, as LiteLLM's
 * async_function_with_fallbacks_common_utils chooses it; 0: none (the
 * error, with what LiteLLM appends, is raised to the level above).
 */
static int
req_fb_choose(struct req *r, struct req_fb *f)
{
	const struct cfg	*c = r->cfg;
	const struct cfg_fallbacks *cw = req_cfg_list(
	    &c->router.context_window_fallbacks,
	    &c->litellm.context_window_fallbacks);
	const struct cfg_fallbacks *cp = req_cfg_list(
	    &c->router.content_policy_fallbacks,
	    &c->litellm.content_policy_fallbacks);
	const struct cfg_fallbacks *fb = req_cfg_list(&c->router.fallbacks,
	    &c->litellm.fallbacks);
	const struct cfg_strv	*def = c->router.default_fallbacks.n > 0 ?
	    &c->router.default_fallbacks : &c->litellm.default_fallbacks;
	const struct cfg_strv	*to;
	const struct js_mem	*m = js_find(r->mem, r->nmem, "fallbacks");
	struct rly_outcome	*o = &f->err;
	const char		*fbs;
	int			 rc;

	if (req_flag(r, "disable_fallbacks"))
		return (0);
	fbs = req_repr(r, "fallbacks", fb);
	if (req_is(o, "ContextWindowExceededError")) {
		if ((rc = req_fb_special(r, f, "context_window_fallbacks",
		    cw)) != 0)
			return (rc > 0);
		req_fb_note(r, o, " model=%s. context_window_fallbacks=%s. "
		    "fallbacks=%s.\n\nSet 'context_window_fallback' - "
		    "https://docs.litellm.ai/docs/routing#fallbacks", f->group,
		    "None", fbs);
	}
	if (req_is(o, "ContentPolicyViolationError")) {
		if ((rc = req_fb_special(r, f, "content_policy_fallbacks",
		    cp)) != 0)
			return (rc > 0);
		req_fb_note(r, o, " model=%s. content_policy_fallbacks=%s. "
		    "fallbacks=%s.\n\nSet 'content_policy_fallback' - "
		    "https://docs.litellm.ai/docs/routing#fallbacks", f->group,
		    "None", fbs);
	}
	if (m != NULL)
		req_fb_request(r, f, m);
	else if ((to = req_fb_config(fb, f->group)) != NULL)
		req_fb_take(r, f, to);
	else if (def->n > 0)
		req_fb_take(r, f, def);
	if (f->n > 0)
		return (1);
	/* LiteLLM says so only when some fallbacks are set. */
	if (m != NULL || fb->n > 0 || def->n > 0)
		req_fb_note(r, o, "No fallback model group found for original "
		    "model_group=%s. Fallbacks=%s%s", f->group, fbs, "");
	return (0);
}

/*
 * A client-side fallback may carry its own messages: the body sent to
 * that group is the client's with them in place; the next entry without
 * any gets the client's own body back.
 */
static int
req_set_messages(struct req *r, const char *msgs)
{
	struct evbuffer	*b;
	const char	*nb;
	size_t		 i, n, len;
	int		 first = 1;

	if (r->body0 == NULL) {
		r->body0 = r->body;
		r->blen0 = r->blen;
	}
	if (msgs == NULL) {
		nb = r->body0;
		len = r->blen0;
	} else {
		if ((b = evbuffer_new()) == NULL)
			return (LX_ERR);
		if (js_object(r->body0, r->blen0, r->mem, REQ_MAXMEM,
		    &r->nmem, NULL, NULL) != LX_OK) {
			evbuffer_free(b);
			return (LX_ERR);
		}
		evbuffer_add(b, "{", 1);
		for (i = 0; i < r->nmem; i++) {
			if (r->mem[i].klen == 8 &&
			    memcmp(r->mem[i].key, "messages", 8) == 0)
				continue;
			evbuffer_add_printf(b, "%s\"%.*s\":", first ? "" : ",",
			    (int)r->mem[i].klen, r->mem[i].key);
			evbuffer_add(b, r->mem[i].val, r->mem[i].vlen);
			first = 0;
		}
		evbuffer_add_printf(b, "%s\"messages\":%s}", first ? "" : ",",
		    msgs);
		len = evbuffer_get_length(b);
		nb = ar_strndup(&r->ar, (const char *)evbuffer_pullup(b, -1),
		    len);
		evbuffer_free(b);
		if (nb == NULL)
			return (LX_ERR);
	}
	r->body = nb;
	r->blen = len;
	return (js_object(r->body, r->blen, r->mem, REQ_MAXMEM, &r->nmem,
	    &n, NULL) == LX_OK && n <= REQ_MAXMEM ? LX_OK : LX_ERR);
}

static int	req_fb_raise(struct req *, const struct rly_outcome *);

/*
 * The next group of the innermost level: 1 when its call is under way (a
 * timer resumes the request); else the level is over and its group's
 * error, with LiteLLM's lines appended, goes to the level above.
 */
static int
req_fb_next(struct req *r)
{
	struct req_fb	*f = r->fb, *top;
	struct rly_outcome e;
	size_t		 i;

	while (f->next < f->n) {
		i = f->next++;
		if (strcmp(f->to[i], f->group) == 0)
			continue;
		if (req_set_messages(r, f->msgs[i]) != LX_OK)
			break;
		log_msg(LOG_LVL_INFO, r->id, "falling back from %s to %s",
		    f->group, f->to[i]);
		f->depth++;
		/* LiteLLM's outermost level sets the header last. */
		for (top = f; top->up != NULL; top = top->up)
			;
		r->fb_depth = top->depth;
		r->retries = 0;
		r->model = f->to[i];
		r->model_q = NULL;	/* the answer names the fallback */
		req_wait(r, 0);
		return (1);
	}
	e = f->err;
	req_fb_note(r, &e, ". Received Model Group=%s\nAvailable Model Group "
	    "Fallbacks=%s%s", f->group, f->shown, "");
	if (f->last != NULL)
		req_fb_note(r, &e, "\nError doing the fallback: %s%s%s",
		    f->last, "", "");
	r->fb = f->up;
	return (req_fb_raise(r, &e));
}

/*
 * Error e of the current group is raised: the level that tried the group
 * takes it as its last error and goes on; at the top it is the answer
 * (r->oc, 0 returned).
 */
static int
req_fb_raise(struct req *r, const struct rly_outcome *e)
{
	if (r->fb == NULL) {
		r->oc = *e;
		return (0);
	}
	r->fb->last = e->msg;
	return (req_fb_next(r));
}

/*
 * The current group failed with o and has no retry left: open a level
 * with its fallback list, as LiteLLM's async_function_with_fallbacks
 * does, or raise o to the level above.
 */
static int
req_fb_group_failed(struct req *r, const struct rly_outcome *o)
{
	long		 max = r->cfg->router.max_fallbacks >= 0 ?
			    r->cfg->router.max_fallbacks :
			    r->cfg->litellm.max_fallbacks >= 0 ?
			    r->cfg->litellm.max_fallbacks : REQ_DEF_FALLBACKS;
	struct req_fb	*f;

	if ((f = ar_calloc(&r->ar, sizeof(*f))) == NULL)
		return (req_fb_raise(r, o));
	f->up = r->fb;
	f->group = r->dep != NULL ? r->dep->model_name : r->model;
	f->depth = r->fb != NULL ? r->fb->depth : 0;
	f->err = *o;
	if (!req_fb_choose(r, f))
		return (req_fb_raise(r, &f->err));
	f->shown = req_fb_shown(r, f);
	if (f->depth >= max) {
		/* LiteLLM raises the error inside the level it refuses. */
		f->last = f->err.msg;
		f->next = f->n;
	}
	r->fb = f;
	return (req_fb_next(r));
}

/*
 * Try o again if LiteLLM would: 1 when a retry or a fallback is under way
 * (a timer resumes the request), 0 when r->oc holds the answer.
 */
static int
req_try_again(struct req *r, const struct rly_outcome *o)
{
	req_log_failure(r, o);
	r->err_logged = 0;
	if (req_should_retry(r, o)) {
		r->retries++;
		req_wait(r, req_retry_delay(r, o));
		return (1);
	}
	r->mock_noretry = 0;
	if (req_fb_group_failed(r, o))
		return (1);
	r->err_logged = 1;	/* logged above, once per deployment and s */
	return (0);
}

/*
 * Has the client closed its side?  evhttp reads nothing from a connection
 * while its request is served, so a client gone during a wait is seen
 * only here, by peeking at the socket: end of file means gone.
 */
static int
req_client_gone(struct req *r)
{
	struct evhttp_connection	*c;
	struct bufferevent		*bev;
	evutil_socket_t			 fd;
	char				 b;

	if (r->ev == NULL ||
	    (c = evhttp_request_get_connection(r->ev)) == NULL ||
	    (bev = evhttp_connection_get_bufferevent(c)) == NULL ||
	    (fd = bufferevent_getfd(bev)) < 0)
		return (r->ev == NULL);
	return (recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0);
}

/* Run the stages again from routing: a retry, or the next group. */
static void
req_again(struct req *r)
{
	if (r->state == RS_DONE)
		return;
	if (req_client_gone(r)) {
		log_msg(LOG_LVL_DEBUG, r->id, "client gone: no retry");
		req_finish(r);
		return;
	}
	rt_release(r);		/* the previous pick is over */
	r->retry_after = NULL;
	memset(&r->oc, 0, sizeof(r->oc));
	r->t_up0 = r->t_up1 = 0;
	r->up_status = 0;
	r->up_too_big = 0;
	r->sse_done_sent = 0;
	r->sse.len = r->sse.scan = 0;
	r->sse.done = 0;
	r->sse.events = 0;
	if (r->up_body != NULL)
		evbuffer_drain(r->up_body, evbuffer_get_length(r->up_body));
	if (r->out != NULL)
		evbuffer_drain(r->out, evbuffer_get_length(r->out));
	req_run_from(r, REQ_STAGE_ROUTE);
}

static void
req_retry_fire(evutil_socket_t fd, short what, void *arg)
{
	struct req	*r = arg;

	if (r->mock_sleep) {
		/* mock_timeout: the wait a real timeout would have taken. */
		r->mock_sleep = 0;
		req_outcome(r);
		return;
	}
	req_again(r);
}

/* Fail the attempt the way a request body's mock_testing_* asks. */
static void
req_mock_fail(struct req *r, int status, const char *cls, const char *msg)
{
	memset(&r->oc, 0, sizeof(r->oc));
	r->oc.status = status;
	r->oc.cls = cls;
	r->oc.msg = msg;
	r->t_up0 = r->t_up1 = req_now();
}

/*
 * LiteLLM's test switches, between routing and the call: the first group
 * fails as the switch says (mock_testing_fallbacks and the context and
 * content-policy ones go straight to the fallbacks, without retries);
 * mock_testing_rate_limit_error fails every attempt; mock_timeout waits
 * the request's timeout, then fails with a timeout.
 */
static int
req_mock_testing(struct req *r)
{
	const struct cfg	*c = r->cfg;
	const char		*g = r->dep->model_name;
	double			 t;

	if (r->fb_depth == 0 && r->retries == 0) {
		if (req_flag(r, "mock_testing_fallbacks")) {
			r->mock_noretry = 1;
			req_mock_fail(r, 500, "InternalServerError",
			    ar_printf(&r->ar, "litellm.InternalServerError: "
			    "This is a mock exception for model=%s, to trigger "
			    "a fallback. Fallbacks=%s", g, req_repr(r,
			    "fallbacks", req_cfg_list(&c->router.fallbacks,
			    &c->litellm.fallbacks))));
			goto failed;
		}
		if (req_flag(r, "mock_testing_context_fallbacks")) {
			r->mock_noretry = 1;
			req_mock_fail(r, 400, "ContextWindowExceededError",
			    ar_printf(&r->ar, "litellm.ContextWindowExceeded"
			    "Error: This is a mock exception for model=%s, to "
			    "trigger a fallback. Context_Window_Fallbacks=%s",
			    g, req_repr(r, "context_window_fallbacks",
			    req_cfg_list(&c->router.context_window_fallbacks,
			    &c->litellm.context_window_fallbacks))));
			goto failed;
		}
		if (req_flag(r, "mock_testing_content_policy_fallbacks")) {
			r->mock_noretry = 1;
			req_mock_fail(r, 400, "ContentPolicyViolationError",
			    ar_printf(&r->ar, "litellm.ContentPolicyViolation"
			    "Error: This is a mock exception for model=%s, to "
			    "trigger a fallback. Context_Policy_Fallbacks=%s",
			    g, req_repr(r, "content_policy_fallbacks",
			    req_cfg_list(&c->router.content_policy_fallbacks,
			    &c->litellm.content_policy_fallbacks))));
			goto failed;
		}
	}
	if (req_flag(r, "mock_testing_rate_limit_error")) {
		req_mock_fail(r, 429, "RateLimitError", ar_printf(&r->ar,
		    "litellm.RateLimitError: This is a mock exception for "
		    "model=%s, to trigger a rate limit error.", g));
		goto failed;
	}
	if (req_flag(r, "mock_timeout")) {
		t = r->req_timeout > 0 ? r->req_timeout : r->dep->timeout > 0 ?
		    r->dep->timeout : c->router.timeout > 0 ? c->router.timeout :
		    c->litellm.request_timeout;
		if (t > 0) {
			req_mock_fail(r, 408, "Timeout",
			    "litellm.Timeout: This is a mock timeout error");
			r->timeout = t;
			r->mock_sleep = 1;
			req_wait(r, t);
			return (LX_AGAIN);
		}
	}
	return (LX_OK);
 failed:
	if (ar_failed(&r->ar))
		return (LX_OK);	/* req_run answers 500 */
	req_outcome(r);
	return (LX_AGAIN);
}

/* The answer when nothing more is tried. */
static void
req_reply_error(struct req *r, const struct rly_outcome *o)
{
	r->retry_after = o->retry_after;
	err_reply(r, o->status, o->type, NULL, "%s", o->msg != NULL ? o->msg :
	    "upstream call failed");
}

void
req_outcome(struct req *r)
{
	const struct rly_outcome	*o = &r->oc;

	if (r->ev == NULL || r->state == RS_DONE) {
		req_finish(r);		/* the client is gone */
		return;
	}
	if (o->ok) {
		req_reply_ok(r);
		return;
	}
	/*
	 * nginx's ngx_http_upstream_next rule: nothing is tried again
	 * once a byte reached the client.
	 */
	if (o->sent || r->state == RS_STREAMING) {
		req_log_failure(r, o);
		req_reply_error(r, o);
		return;
	}
	if (req_try_again(r, o))
		return;
	req_reply_error(r, &r->oc);
}

static const char *
req_reason(int status)
{
	switch (status) {
	case 200:	return ("OK");
	case 400:	return ("Bad Request");
	case 401:	return ("Unauthorized");
	case 403:	return ("Forbidden");
	case 404:	return ("Not Found");
	case 405:	return ("Method Not Allowed");
	case 408:	return ("Request Timeout");
	case 413:	return ("Payload Too Large");
	case 422:	return ("Unprocessable Entity");
	case 429:	return ("Too Many Requests");
	case 500:	return ("Internal Server Error");
	case 502:	return ("Bad Gateway");
	case 503:	return ("Service Unavailable");
	case 504:	return ("Gateway Timeout");
	default:	return ("Status");
	}
}

static void
req_hdr_ms(struct evkeyvalq *h, const char *name, uint64_t ns)
{
	char	buf[32];

	snprintf(buf, sizeof(buf), "%.3f", (double)ns / 1e6);
	evhttp_add_header(h, name, buf);
}

/* Add the x-litellm-* headers that are known at this point. */
static void
req_add_headers(struct req *r, int final)
{
	struct evkeyvalq	*h;
	uint64_t		 now, up;
	char			 base[512], *q, num[16];

	if (r->ev == NULL || r->hdrs_added)
		return;
	r->hdrs_added = 1;
	h = evhttp_request_get_output_headers(r->ev);
	evhttp_add_header(h, "x-litellm-call-id", r->id);
	evhttp_add_header(h, "x-litellm-version", LLMUX_VERSION);
	if (r->w->draining)
		evhttp_add_header(h, "Connection", "close");
	if (r->dep == NULL)
		return;
	if (r->dep->id != NULL)
		evhttp_add_header(h, "x-litellm-model-id", r->dep->id);
	evhttp_add_header(h, "x-litellm-model-group", r->dep->model_name);
	if (r->api_base != NULL) {
		/* The query string may carry a key (?key=...): never sent. */
		snprintf(base, sizeof(base), "%s", r->api_base);
		if ((q = strchr(base, '?')) != NULL)
			*q = '\0';
		evhttp_add_header(h, "x-litellm-model-api-base", base);
	}
	snprintf(num, sizeof(num), "%d", r->retries);
	evhttp_add_header(h, "x-litellm-attempted-retries", num);
	snprintf(num, sizeof(num), "%d", r->retries > 0 ? r->max_retries :
	    req_budget(r, NULL));
	evhttp_add_header(h, "x-litellm-max-retries", num);
	snprintf(num, sizeof(num), "%d", r->fb_depth);
	evhttp_add_header(h, "x-litellm-attempted-fallbacks", num);
	if (r->t_up0 == 0)
		return;
	now = req_now();
	if (final && r->t_up1 != 0) {
		up = r->t_up1 - r->t_up0;
		req_hdr_ms(h, "x-litellm-response-duration-ms", up);
		req_hdr_ms(h, "x-litellm-overhead-duration-ms",
		    now - r->t0 > up ? now - r->t0 - up : 0);
	} else {
		/* A stream starts: the proxy's share so far is pre-call. */
		req_hdr_ms(h, "x-litellm-overhead-duration-ms",
		    r->t_up0 - r->t0);
	}
}

/* The client is gone: evhttp has detached the request from it. */
static void
req_closecb(struct evhttp_connection *conn, void *arg)
{
	struct req	*r = arg;

	if (r->ev != NULL && evhttp_request_get_connection(r->ev) == NULL)
		evhttp_request_free(r->ev);	/* orphaned: ours to free */
	r->ev = NULL;
	log_msg(LOG_LVL_DEBUG, r->id, "client closed the connection");
	req_finish(r);
}

/* Watch for the client going away while the answer is prepared. */
void
req_watch_client(struct req *r)
{
	evhttp_connection_set_closecb(evhttp_request_get_connection(r->ev),
	    req_closecb, r);
}

static void
req_unwatch_client(struct req *r)
{
	struct evhttp_connection *c;

	if (r->ev != NULL &&
	    (c = evhttp_request_get_connection(r->ev)) != NULL)
		evhttp_connection_set_closecb(c, NULL, NULL);
}

void
req_reply(struct req *r, int status, struct evbuffer *body)
{
	if (r->ev == NULL)
		return;
	req_add_headers(r, 1);
	req_unwatch_client(r);
	evhttp_send_reply(r->ev, status, req_reason(status), body);
	r->ev = NULL;		/* evhttp frees it once written */
	r->state = RS_REPLIED;
}

void
req_stream_start(struct req *r)
{
	struct evkeyvalq	*h;

	if (r->ev == NULL || r->state == RS_STREAMING)
		return;
	h = evhttp_request_get_output_headers(r->ev);
	evhttp_add_header(h, "Content-Type", "text/event-stream");
	evhttp_add_header(h, "Cache-Control", "no-cache");
	req_add_headers(r, 0);
	evhttp_send_reply_start(r->ev, 200, "OK");
	r->state = RS_STREAMING;
}

static void
req_keepalive_fire(evutil_socket_t fd, short what, void *arg)
{
	struct req	*r = arg;

	if (r->ev == NULL || r->state == RS_DONE)
		return;
	/*
	 * A proxy in front of us closes a silent connection (60 s is a
	 * common idle timeout) while a reasoning model thinks: a comment
	 * line keeps it open and every SSE client ignores it.
	 */
	req_stream_start(r);
	evbuffer_add(r->out, ": keep-alive\n\n", 14);
	req_stream_flush(r);
	req_keepalive_touch(r);
}

void
req_keepalive_start(struct req *r)
{
	if (r->cfg->llmux.sse_keepalive <= 0 || r->ka_on)
		return;
	evtimer_assign(&r->ka, r->w->base, req_keepalive_fire, r);
	r->ka_on = 1;
	req_keepalive_touch(r);
}

void
req_keepalive_touch(struct req *r)
{
	struct timeval	tv;
	double		s = r->cfg->llmux.sse_keepalive;

	if (!r->ka_on)
		return;
	tv.tv_sec = (time_t)s;
	tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
	evtimer_add(&r->ka, &tv);
}

const char *
req_model_quoted(struct req *r)
{
	if (r->model_q == NULL)
		r->model_q = js_quote(&r->ar, r->model);
	return (r->model_q);
}

size_t
req_client_backlog(struct req *r)
{
	struct evhttp_connection	*c;
	struct bufferevent		*bev;

	if (r->ev == NULL ||
	    (c = evhttp_request_get_connection(r->ev)) == NULL ||
	    (bev = evhttp_connection_get_bufferevent(c)) == NULL)
		return (0);
	return (evbuffer_get_length(bufferevent_get_output(bev)));
}

void
req_stream_flush(struct req *r)
{
	if (r->ev == NULL || r->out == NULL ||
	    evbuffer_get_length(r->out) == 0)
		return;
	evhttp_send_reply_chunk(r->ev, r->out);
}

static void
req_fin_timers(struct req *r, enum req_state last)
{
	if (r->ka_on) {
		evtimer_del(&r->ka);
		r->ka_on = 0;
	}
	if (r->retry_on) {
		evtimer_del(&r->retry_ev);
		r->retry_on = 0;
	}
}

static void
req_fin_upstream(struct req *r, enum req_state last)
{
	if (r->up != NULL) {
		up_abort(r->up);
		r->up = NULL;
	}
}

static void
req_fin_respond(struct req *r, enum req_state last)
{
	if (r->ev != NULL) {
		if (last == RS_STREAMING) {
			req_unwatch_client(r);
			evhttp_send_reply_end(r->ev);
		} else {
			/* Every path answers first; this is a safety net. */
			struct evbuffer *b = evbuffer_new();

			if (b != NULL)
				err_body(b, 500, "internal_server_error", NULL,
				    "request ended without an answer");
			req_unwatch_client(r);
			evhttp_send_reply(r->ev, 500, "Internal Server Error",
			    b);
			if (b != NULL)
				evbuffer_free(b);
		}
		r->ev = NULL;
	}
}

static void
req_fin_account(struct req *r, enum req_state last)
{
}

static void
req_fin_release(struct req *r, enum req_state last)
{
	rt_release(r);
}

static void
req_fin_log(struct req *r, enum req_state last)
{
	if (log_enabled(LOG_LVL_DEBUG))
		log_msg(LOG_LVL_DEBUG, r->id, "%s done in state %s after "
		    "%.3f ms", r->route, req_state_name(last),
		    (double)(req_now() - r->t0) / 1e6);
}

void
req_finish(struct req *r)
{
	enum req_state	last = r->state;
	size_t		i;

	if (r->state == RS_DONE)
		return;
	/* Mark first: ending the response may call back into here. */
	r->state = RS_DONE;
	for (i = 0; i < LX_NELEM(req_fins); i++)
		req_fins[i].run(r, last);
	wrk_defer_free(r->w, r);
}

/*
 * Requests are recycled: a worker keeps finished ones with their arena's
 * first chunk, their buffers and their SSE buffer, so a request in the
 * steady state costs no large allocation (which would also make malloc
 * consolidate its free lists every time).
 */
#define REQ_POOL_MAX	256

static struct req	*req_pool;	/* this worker's finished requests */
static unsigned		 req_npool;

static void	req_destroy(struct req *);

struct req *
req_alloc(struct wrk *w)
{
	struct req	*r;
	struct arena	 ar;
	struct evbuffer	*up_body, *out;
	struct strm	 sse;

	if ((r = req_pool) == NULL) {
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return (NULL);
		ar_init(&r->ar, 0);
		strm_init(&r->sse);
		return (r);
	}
	req_pool = r->next_free;
	req_npool--;
	ar = r->ar;
	up_body = r->up_body;
	out = r->out;
	sse = r->sse;
	memset(r, 0, sizeof(*r));
	r->ar = ar;
	r->up_body = up_body;
	r->out = out;
	r->sse = sse;
	return (r);
}

void
req_free(struct req *r)
{
	if (req_npool < REQ_POOL_MAX) {
		ar_reset(&r->ar);
		if (r->up_body != NULL)
			evbuffer_drain(r->up_body,
			    evbuffer_get_length(r->up_body));
		if (r->out != NULL)
			evbuffer_drain(r->out, evbuffer_get_length(r->out));
		r->sse.len = r->sse.scan = 0;
		r->sse.done = 0;
		r->sse.events = 0;
		r->next_free = req_pool;
		req_pool = r;
		req_npool++;
		return;
	}
	req_destroy(r);
}

void
req_pool_free(void)
{
	struct req	*r;

	while ((r = req_pool) != NULL) {
		req_pool = r->next_free;
		req_destroy(r);
	}
	req_npool = 0;
}

static void
req_destroy(struct req *r)
{
	if (r->up_body != NULL)
		evbuffer_free(r->up_body);
	if (r->out != NULL)
		evbuffer_free(r->out);
	strm_free(&r->sse);
	ar_free(&r->ar);
	free(r);
}
