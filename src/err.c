/*
 * err.c: OpenAI-style error replies.
 *
 * LiteLLM renders every proxy error as {"error": {...}} with "code" holding
 * the HTTP status as a string; clients (the OpenAI SDKs) read message and
 * status from it.  Errors that happen after a stream has started cannot
 * change the status any more, so they go out as one SSE "data:" event
 * carrying the same object, and the stream ends.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "cfg.h"
#include "err.h"
#include "json.h"
#include "log.h"
#include "req.h"
#include "worker.h"

const char *
err_class(int status)
{
	switch (status) {
	case 400:	return ("BadRequestError");
	case 401:	return ("AuthenticationError");
	case 403:	return ("PermissionDeniedError");
	case 404:	return ("NotFoundError");
	case 408:	return ("Timeout");
	case 422:	return ("UnprocessableEntityError");
	case 429:	return ("RateLimitError");
	case 502:	return ("BadGatewayError");
	case 503:	return ("ServiceUnavailableError");
	default:
		return (status >= 500 ? "InternalServerError" :
		    "BadRequestError");
	}
}

/* Append s as a JSON string: on the stack when short, else on the heap. */
static void
err_quote(struct evbuffer *buf, const char *s)
{
	char	 tmp[512], *q = tmp;
	size_t	 len = strlen(s);

	if (len * 6 + 3 > sizeof(tmp) && (q = malloc(len * 6 + 3)) == NULL) {
		evbuffer_add(buf, "\"\"", 2);
		return;
	}
	evbuffer_add(buf, q, js_quote_into(q, s, len));
	if (q != tmp)
		free(q);
}

void
err_body(struct evbuffer *buf, int status, const char *type,
    const char *param, const char *msg)
{
	evbuffer_add(buf, "{\"error\":{\"message\":", 20);
	err_quote(buf, msg);
	evbuffer_add(buf, ",\"type\":", 8);
	if (type != NULL)
		err_quote(buf, type);
	else
		evbuffer_add(buf, "null", 4);
	evbuffer_add(buf, ",\"param\":", 9);
	if (param != NULL)
		err_quote(buf, param);
	else
		evbuffer_add(buf, "null", 4);
	evbuffer_add_printf(buf, ",\"code\":\"%d\"}}", status);
}

void
err_reply(struct req *r, int status, const char *type, const char *param,
    const char *fmt, ...)
{
	struct evbuffer	*b;
	char		 msg[4096];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	/* An upstream failure the caller logged, or counted, already. */
	log_msg(r->err_logged ? LOG_LVL_DEBUG : status >= 500 ?
	    LOG_LVL_WARN : LOG_LVL_INFO, r->id, "%s %d: %s", r->route,
	    status, msg);
	wrk_count_error(r->w, status);
	if (r->ev == NULL || r->state == RS_DONE)
		goto done;
	if ((b = evbuffer_new()) == NULL)
		goto done;
	if (r->state == RS_STREAMING) {
		/* A stream is open: an SSE error event, then the end. */
		evbuffer_add(b, "data: ", 6);
		err_body(b, status, type, param, msg);
		evbuffer_add(b, "\n\n", 2);
		evhttp_send_reply_chunk(r->ev, b);
	} else {
		struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);

		evhttp_add_header(h, "Content-Type", "application/json");
		if (status == 429 && r->retry_after != NULL)
			evhttp_add_header(h, "retry-after", r->retry_after);
		err_body(b, status, type, param, msg);
		req_reply(r, status, b);
	}
	evbuffer_free(b);
 done:
	req_finish(r);
}

void
err_send(struct wrk *w, struct evhttp_request *ev, int status,
    const char *type, const char *param, const char *fmt, ...)
{
	struct evbuffer	*b;
	const char	*uri = evhttp_request_get_uri(ev);
	char		 msg[1024];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	log_msg(status >= 500 ? LOG_LVL_WARN : LOG_LVL_INFO, NULL,
	    "%.200s %d: %s", uri != NULL ? uri : "-", status, msg);
	wrk_count_error(w, status);
	evhttp_add_header(evhttp_request_get_output_headers(ev),
	    "Content-Type", "application/json");
	if ((b = evbuffer_new()) != NULL)
		err_body(b, status, type, param, msg);
	evhttp_send_reply(ev, status, NULL, b);
	if (b != NULL)
		evbuffer_free(b);
}
