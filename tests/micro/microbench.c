/*
 * llmux-microbench: the cost of the pieces on the request path, in ns,
 * measured in a loop on one core.  make bench puts its output in the
 * report; nothing asserts on it.
 *
 *   parse+auth+route   index a small chat request, find the key, compare
 *                      it with the master key, pick a deployment
 *   state pick         one pick in the shared state: read 3 deployments'
 *                      records, choose, count, in one write transaction
 *   state release txn  one release: a write transaction on one record
 *   sse chunk          reassemble one upstream SSE chunk and splice its
 *                      model for the client
 *   json rewrite       splice the model of a non-stream response
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "arena.h"
#include "auth.h"
#include "cfg.h"
#include "json.h"
#include "prov.h"
#include "req.h"
#include "route.h"
#include "state.h"
#include "stream.h"
#include "worker.h"

static const char chat_req[] =
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\","
    "\"content\":\"You are a helpful assistant.\"},{\"role\":\"user\","
    "\"content\":\"Say hello to the benchmark.\"}],\"temperature\":0.7,"
    "\"max_tokens\":64,\"stream\":false}";

static const char chunk[] =
    "data: {\"id\":\"chatcmpl-abc123\",\"object\":\"chat.completion.chunk\","
    "\"created\":1700000000,\"model\":\"gpt-4o-mini-2024-07-18\","
    "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" hello\"},"
    "\"finish_reason\":null}]}\n\n";

static const char response[] =
    "{\"id\":\"chatcmpl-abc123\",\"object\":\"chat.completion\","
    "\"created\":1700000000,\"model\":\"gpt-4o-mini-2024-07-18\","
    "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
    "\"content\":\"Hello, benchmark! How can I help you today?\"},"
    "\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":"
    "{\"prompt_tokens\":25,\"completion_tokens\":11,\"total_tokens\":36}}";

static double
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec * 1e9 + (double)ts.tv_nsec);
}

static void
report(const char *name, double ns, long n, const char *unit)
{
	printf("%-20s %10.0f ns/%s  (%ld iterations)\n", name, ns / (double)n,
	    unit, n);
}

static struct cfg *
load_cfg(char *dir)
{
	struct cfg_diags	 d;
	struct cfg		*c;
	char			 path[512];
	FILE			*f;

	snprintf(path, sizeof(path), "%s/config.yaml", dir);
	if ((f = fopen(path, "w")) == NULL)
		return (NULL);
	fprintf(f, "model_list:\n");
	for (int i = 0; i < 3; i++)
		fprintf(f, "  - model_name: gpt-4o-mini\n    litellm_params:\n"
		    "      model: openai/gpt-4o-mini\n"
		    "      api_base: http://127.0.0.1:9/v%d\n"
		    "      api_key: sk-upstream-%d\n      rpm: %d\n", i, i,
		    100 * (i + 1));
	fprintf(f, "  - model_name: other\n    litellm_params:\n"
	    "      model: openai/other\n      api_key: sk-x\n"
	    "general_settings:\n  master_key: sk-bench-master-key-0123456789\n");
	fclose(f);
	cfg_diags_init(&d);
	c = cfg_load(path, &d);
	cfg_diags_free(&d);
	unlink(path);
	return (c);
}

static void
bench_request(struct cfg *c)
{
	struct wrk		 w;
	struct arena		 war;
	struct evkeyvalq	 h;
	struct req		*r;
	const struct js_mem	*m;
	const char		*key;
	long			 i, n = 500000;
	double			 t0, t;

	memset(&w, 0, sizeof(w));
	ar_init(&war, 0);
	w.cfg = c;
	w.rng[0] = 0x1234567;
	w.rng[1] = 0x89abcdef;
	if ((w.rt = rt_table_new(c, &war)) == NULL) {
		printf("parse+auth+route: cannot build the routing table\n");
		return;
	}
	TAILQ_INIT(&h);
	evhttp_add_header(&h, "Host", "127.0.0.1:4000");
	evhttp_add_header(&h, "Content-Type", "application/json");
	evhttp_add_header(&h, "Authorization",
	    "Bearer sk-bench-master-key-0123456789");
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return;
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		ar_init(&r->ar, 0);
		r->w = &w;
		r->cfg = c;
		r->route = "/chat/completions";
		if (js_object(chat_req, sizeof(chat_req) - 1, r->mem,
		    REQ_MAXMEM, &r->nmem, NULL, NULL) != LX_OK)
			abort();
		m = js_find(r->mem, r->nmem, "model");
		r->model = js_string(&r->ar, m->val, m->vlen);
		if (auth_key(&h, NULL, &r->ar, &key) != AUTH_KEY ||
		    !auth_equal(key, strlen(key), c->general.master_key,
		    strlen(c->general.master_key)))
			abort();
		if (rt_run(r) != LX_OK)
			abort();
		ar_free(&r->ar);
	}
	t = now_ns() - t0;
	report("parse+auth+route", t, n, "request");
	free(r);
	evhttp_clear_headers(&h);
	rt_table_free(w.rt);
	ar_free(&war);
}

/* The pick's choice: the fewest requests this minute. */
static int
bench_choose(void *arg, const struct st_dep *recs, size_t n)
{
	size_t	i, best = 0;

	for (i = 1; i < n; i++)
		if (recs[i].req < recs[best].req)
			best = i;
	return ((int)best);
}

static void
bench_state(const char *dir)
{
	const char	*ids[] = { "bench-deployment-0", "bench-deployment-1",
			    "bench-deployment-2" };
	struct st_dep	 recs[3];
	struct st	*st;
	char		 err[1200];
	long		 i, n = 20000;
	double		 t0, t, now = 1800000000.0;

	if ((st = st_open(dir, 0, 0, err, sizeof(err))) == NULL) {
		printf("state: %s\n", err);
		return;
	}
	t0 = now_ns();
	for (i = 0; i < n; i++)
		if (st_pick(st, ids, 3, recs, bench_choose, NULL, now) < 0)
			abort();
	t = now_ns() - t0;
	report("state pick (3 deps)", t, n, "pick");
	t0 = now_ns();
	for (i = 0; i < n; i++)
		if (st_release(st, ids[i % 3], NULL, NULL, now) != LX_OK)
			abort();
	t = now_ns() - t0;
	report("state release txn", t, n, "txn");
	st_close(st);
}

struct sse_ctx {
	struct req	*r;
	const char	*model_q;
};

static int
sse_event(void *arg, const char *data, size_t n)
{
	struct sse_ctx	*x = arg;

	evbuffer_add(x->r->out, "data: ", 6);
	if (prov_openai_rewrite(x->r, x->r->out, data, n, x->model_q) !=
	    LX_OK)
		abort();
	evbuffer_add(x->r->out, "\n\n", 2);
	return (0);
}

static void
bench_sse(void)
{
	struct req	*r = calloc(1, sizeof(*r));
	struct sse_ctx	 x;
	long		 i, n = 1000000;
	double		 t0, t;

	if (r == NULL)
		return;
	ar_init(&r->ar, 0);
	strm_init(&r->sse);
	r->out = evbuffer_new();
	x.r = r;
	x.model_q = "\"gpt-4o-mini\"";
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		/* Arrives in two pieces, as over a real socket it may. */
		if (strm_feed(&r->sse, chunk, 40, sse_event, &x) != 0 ||
		    strm_feed(&r->sse, chunk + 40, sizeof(chunk) - 41,
		    sse_event, &x) != 0)
			abort();
		evbuffer_drain(r->out, evbuffer_get_length(r->out));
	}
	t = now_ns() - t0;
	report("sse chunk", t, n, "chunk");
	strm_free(&r->sse);
	evbuffer_free(r->out);
	ar_free(&r->ar);
	free(r);
}

static void
bench_rewrite(void)
{
	struct req	*r = calloc(1, sizeof(*r));
	struct evbuffer	*b = evbuffer_new();
	long		 i, n = 1000000;
	double		 t0, t;

	if (r == NULL || b == NULL)
		return;
	ar_init(&r->ar, 0);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		if (prov_openai_rewrite(r, b, response, sizeof(response) - 1,
		    "\"gpt-4o-mini\"") != LX_OK)
			abort();
		evbuffer_drain(b, evbuffer_get_length(b));
	}
	t = now_ns() - t0;
	report("json rewrite", t, n, "response");
	evbuffer_free(b);
	ar_free(&r->ar);
	free(r);
}

int
main(void)
{
	char		 dir[] = "/tmp/llmux-micro-XXXXXX";
	struct cfg	*c;
	char		 path[600];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	if ((c = load_cfg(dir)) == NULL) {
		printf("cannot load the benchmark config\n");
		return (1);
	}
	bench_request(c);
	bench_state(dir);
	bench_sse();
	bench_rewrite();
	cfg_free(c);
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", dir);
	unlink(path);
	rmdir(dir);
	return (0);
}
