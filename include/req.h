/*
 * req.h: one client request from dispatch to free, and the stage sequence
 * that carries it (req.c).
 *
 * A request owns an arena (r->ar) holding everything it allocates.  It is
 * never freed inside an evhttp or libcurl callback: req_finish() marks it and
 * the worker frees it after the loop pass.  It is always in exactly one
 * state (r->state, below); the stage list sets the first ones, the
 * response the later ones.
 */
#ifndef REQ_H
#define REQ_H

#include <stdint.h>
#include <event2/event_struct.h>
#include <sys/queue.h>

#include "llmux.h"
#include "arena.h"
#include "json.h"
#include "relay.h"
#include "stream.h"

struct evhttp_request;
struct evbuffer;
struct up_call;
struct prov;
struct rt_deploy;
struct req_fb;

enum req_state {
	RS_NEW,			/* allocated, no stage run yet */
	RS_AUTH,		/* the auth stage */
	RS_PARSE,		/* indexing the body */
	RS_ROUTE,		/* picking a deployment */
	RS_UPSTREAM,		/* the provider stage: the call runs */
	RS_STREAMING,		/* 200 and headers sent; chunks follow */
	RS_REPLIED,		/* the whole response is with evhttp */
	RS_DONE,		/* finished; freed after this loop pass */
};

enum req_kind {
	RK_CHAT,		/* /chat/completions */
	RK_MODELS,		/* /models */
};

#define REQ_MAXMEM	64	/* top-level request members indexed */
/* A request's timeout (body or x-litellm-timeout), in seconds. */
#define REQ_TIMEOUT_MIN	0.001
#define REQ_TIMEOUT_MAX	1e9
#define REQ_IDLEN	80

struct req {
	struct arena		 ar;
	struct wrk		*w;
	const struct cfg	*cfg;
	struct evhttp_request	*ev;		/* NULL once the client is gone */
	TAILQ_ENTRY(req)	 entry;		/* the worker's in-flight list */
	struct req		*next_free;	/* req.c's pool */
	enum req_state		 state;
	char			 id[REQ_IDLEN];	/* x-litellm-call-id */
	const char		*route;		/* "/chat/completions", errors */
	enum req_kind		 kind;
	uint64_t		 t0;		/* dispatch, ns monotonic */
	uint64_t		 t_up0, t_up1;	/* upstream call start, end */

	/* The request body, indexed once. */
	const char		*body;		/* evhttp's buffer: client only */
	size_t			 blen;
	struct js_mem		 mem[REQ_MAXMEM];
	size_t			 nmem;
	const char		*path_model;	/* model named in the URL path */
	const char		*model;		/* what the client asked for */
	const char		*model_q;	/* the same, quoted for JSON */
	int			 stream;
	int			 include_usage;

	/* Routing result. */
	const struct cfg_deploy	*dep;
	const struct rt_deploy	*rd;		/* url and headers to use */
	struct rt_deploy	*picked;	/* the strategy's pick, unreleased */
	const char		*dep_model;	/* litellm model, '*' filled in */
	const struct prov	*prov;
	const char		*up_model;	/* model name sent upstream */
	const char		*api_base;	/* upstream base, for headers */

	/* Upstream call. */
	struct up_call		*up;
	long			 up_status;
	struct evbuffer		*up_body;	/* non-stream or error body */
	struct evbuffer		*out;		/* chunk staging to the client */
	struct strm		 sse;
	double			 timeout;	/* s, applied */
	double			 req_timeout;	/* s, asked for by the client */
	const char		*retry_after;	/* upstream retry-after */
	struct rly_outcome	 oc;		/* how the call ended */

	struct event		 ka;		/* sse_keepalive timer */
	long			 prompt_tokens;	/* from the upstream's usage */
	long			 completion_tokens;

	unsigned		 hdrs_added:1;	/* x-litellm-* are in place */
	unsigned		 ka_on:1;	/* ka is set up */
	unsigned		 sse_done_sent:1;	/* [DONE] relayed */
	unsigned		 up_too_big:1;	/* body over max_response_size_mb */
	unsigned		 err_logged:1;	/* err_reply: logged already */
	unsigned		 st_counted:1;	/* the pick is in the shared state */

	/*
	 * Retries and fallbacks (req.c): the attempt in progress, what the
	 * first group answered, and the fallback list being walked.
	 */
	const char		*body0;		/* the body as the client sent it */
	size_t			 blen0;
	int			 retries;	/* made in the current group */
	int			 max_retries;	/* the current group's budget */
	int			 fb_depth;	/* x-litellm-attempted-fallbacks */
	struct req_fb		*fb;		/* fallback levels, innermost */
	struct event		 retry_ev;	/* waits before the next try */
	unsigned		 retry_on:1;	/* retry_ev is set up */
	unsigned		 mock_sleep:1;	/* retry_ev ends a mock_timeout */
	unsigned		 mock_noretry:1;	/* a mock_testing_* failure */
};

/* Run the stage sequence from the start (auth, parse, route, provider). */
void	req_run(struct req *);
/*
 * The provider stage is over and r->oc says how (relay.c, prov_mock.c):
 * decide between replying, retrying (num_retries, after a libevent timer)
 * and falling back to another group, then act.  Nothing is tried again
 * once a byte reached the client.
 */
void	req_outcome(struct req *);
/*
 * Finish the request: run the finish stages (timers, upstream, response,
 * release, account, log) and queue the request to be freed after this
 * loop pass.  Idempotent.
 */
void	req_finish(struct req *);
/* "upstream", "streaming"...: where a request is, for logs and status. */
const char *req_state_name(enum req_state);
/* A zeroed request, recycled from this worker's pool when it has one. */
struct req *req_alloc(struct wrk *);
/* Free now (back to the pool); only wrk_ calls this, after the pass. */
void	req_free(struct req *);
/* Release every pooled request; the worker calls this on its way out. */
void	req_pool_free(void);
/* Finish r (client gone) if the client closes its connection. */
void	req_watch_client(struct req *);
/* Send a complete response (status, body) and let evhttp own the request. */
void	req_reply(struct req *, int status, struct evbuffer *body);
/* Start a 200 text/event-stream response. */
void	req_stream_start(struct req *);
/*
 * llmux_settings.sse_keepalive: after that many seconds without a byte
 * for the client, send an SSE comment (starting the response first if
 * need be).  req_keepalive_touch() restarts the wait; a no-op when off.
 */
void	req_keepalive_start(struct req *);
void	req_keepalive_touch(struct req *);
/* The model the client named, as a JSON string; made once per request. */
const char *req_model_quoted(struct req *);
/* Bytes written to the client that it has not read yet. */
size_t	req_client_backlog(struct req *);
/* Send what r->out holds as one HTTP chunk. */
void	req_stream_flush(struct req *);
/* Monotonic clock in ns. */
uint64_t req_now(void);

#endif
