/*
 * models.c: GET /models and GET /models/{id}, in OpenAI's list format.
 *
 * The list is the model groups of the routing table followed by the
 * visible aliases of router_settings.model_group_alias, filtered by
 * mdl_may_use, the one place where per-key model access is decided (the
 * virtual keys plug in there).
 */
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "cfg.h"
#include "err.h"
#include "json.h"
#include "models.h"
#include "req.h"
#include "route.h"
#include "worker.h"

int
mdl_may_use(const struct req *r, const char *model)
{
	return (1);
}

void
mdl_list(struct req *r, const char *one)
{
	const struct rt_table	*t = wrk_routes(r->w);
	const struct cfg	*c = r->cfg;
	struct evbuffer		*b;
	const char		*q, *name;
	size_t			 i;
	int			 first = 1, found = 0;

	if ((b = evbuffer_new()) == NULL) {
		err_reply(r, 500, "internal_server_error", NULL,
		    "out of memory");
		return;
	}
	if (one == NULL)
		evbuffer_add_printf(b, "{\"data\":[");
	for (i = 0; i < t->ngroups + c->router.nalias; i++) {
		if (i < t->ngroups)
			name = t->groups[i].name;
		else if (c->router.alias[i - t->ngroups].hidden)
			continue;
		else
			name = c->router.alias[i - t->ngroups].alias;
		if ((one != NULL && strcmp(one, name) != 0) ||
		    !mdl_may_use(r, name))
			continue;
		if ((q = js_quote(&r->ar, name)) == NULL) {
			evbuffer_free(b);
			err_reply(r, 500, "internal_server_error", NULL,
			    "out of memory");
			return;
		}
		evbuffer_add_printf(b, "%s{\"id\":%s,\"object\":\"model\","
		    "\"created\":1677610602,\"owned_by\":\"openai\"}",
		    first ? "" : ",", q);
		first = 0;
		found = 1;
		if (one != NULL)
			break;
	}
	if (one == NULL)
		evbuffer_add_printf(b, "],\"object\":\"list\"}");
	if (one != NULL && !found) {
		evbuffer_free(b);
		err_reply(r, 404, "not_found_error", "model",
		    "The model `%s` does not exist", one);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(r->ev),
	    "Content-Type", "application/json");
	req_reply(r, 200, b);
	evbuffer_free(b);
	req_finish(r);
}
