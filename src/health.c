/*
 * health.c: the health probes LiteLLM serves, for load balancers and
 * orchestrators.  They need no key and allocate no request, so a probe
 * costs next to nothing; readiness turns 503 as soon as the worker
 * drains, so a balancer stops sending before the worker goes away.
 */
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "health.h"
#include "worker.h"

static void
hlt_json(struct evhttp_request *ev, int code, const char *json)
{
	struct evbuffer	*b = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(ev),
	    "Content-Type", "application/json");
	if (b != NULL)
		evbuffer_add(b, json, strlen(json));
	evhttp_send_reply(ev, code, NULL, b);
	if (b != NULL)
		evbuffer_free(b);
}

void
hlt_live(struct wrk *w, struct evhttp_request *ev)
{
	if (evhttp_request_get_command(ev) == EVHTTP_REQ_OPTIONS) {
		evhttp_add_header(evhttp_request_get_output_headers(ev),
		    "Allow", "GET, OPTIONS");
		evhttp_send_reply(ev, 200, "OK", NULL);
		return;
	}
	hlt_json(ev, 200, "\"I'm alive!\"");
}

void
hlt_ready(struct wrk *w, struct evhttp_request *ev)
{
	if (w->draining)
		hlt_json(ev, 503, "{\"status\":\"draining\"}");
	else
		hlt_json(ev, 200, "{\"status\":\"healthy\",\"db\":"
		    "\"Not connected\",\"cache\":null,\"litellm_version\":\""
		    LLMUX_VERSION "\",\"success_callbacks\":[]}");
}
