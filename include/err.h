/*
 * err.h: the only code that writes an OpenAI-style error body,
 * {"error":{"message","type","param","code"}} with code the status as a
 * string, as LiteLLM does.
 */
#ifndef ERR_H
#define ERR_H

#include "llmux.h"

struct evbuffer;
struct evhttp_request;

/*
 * Answer r with status and the error body, log one line, count it, and
 * finish the request.  type and param may be NULL (JSON null).  If the
 * response has already started (a stream), the error goes out as an SSE
 * event and the stream ends.
 */
void	err_reply(struct req *r, int status, const char *type,
	    const char *param, const char *fmt, ...) LX_PRINTF(5, 6);
/*
 * The same for an error found before there is a request (no route, a
 * framing error, out of memory): answer ev, log one line with its URI,
 * count it on w.
 */
void	err_send(struct wrk *w, struct evhttp_request *ev, int status,
	    const char *type, const char *param, const char *fmt, ...)
	    LX_PRINTF(6, 7);
/* Append the error object to buf; msg is raw text (escaped here). */
void	err_body(struct evbuffer *buf, int status, const char *type,
	    const char *param, const char *msg);
/* LiteLLM's exception class name for an HTTP status ("RateLimitError"). */
const char *err_class(int status);

#endif
