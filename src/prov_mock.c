/*
 * prov_mock.c: litellm_params.mock_response (or a request's own
 * mock_response) answers without any network call, as LiteLLM's
 * mock_completion does: the same response shape, fixed usage figures
 * (10 prompt, 20 completion tokens), and for streams one chunk per word.
 * The answer is left in r->out with a success outcome; req.c replies.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "arena.h"
#include "err.h"
#include "json.h"
#include "prov.h"
#include "req.h"

#define MOCK_PROMPT_TOKENS	10
#define MOCK_COMPLETION_TOKENS	20

static void
mock_chunk(struct evbuffer *b, const struct req *r, const char *model_q,
    long now, const char *delta, const char *finish)
{
	evbuffer_add_printf(b, "data: {\"id\":\"chatcmpl-%s\",\"created\":%ld,"
	    "\"model\":%s,\"object\":\"chat.completion.chunk\","
	    "\"system_fingerprint\":null,\"choices\":[{\"index\":0,"
	    "\"delta\":%s,\"finish_reason\":%s}]}\n\n", r->id, now, model_q,
	    delta, finish);
}

static void
mock_stream(struct req *r, const char *text, const char *model_q, long now)
{
	struct evbuffer	*b = r->out;
	const char	*p = text, *e;
	char		*piece, *d;
	size_t		 n;

	mock_chunk(b, r, model_q, now,
	    "{\"role\":\"assistant\",\"content\":\"\"}", "null");
	/* One chunk per word, the space kept with the word before it. */
	while (*p != '\0') {
		e = p;
		while (*e != '\0' && *e != ' ')
			e++;
		while (*e == ' ')
			e++;
		n = (size_t)(e - p);
		if ((piece = ar_strndup(&r->ar, p, n)) == NULL ||
		    (d = ar_printf(&r->ar, "{\"content\":%s}",
		    js_quote(&r->ar, piece))) == NULL)
			break;
		mock_chunk(b, r, model_q, now, d, "null");
		p = e;
	}
	mock_chunk(b, r, model_q, now, "{}", "\"stop\"");
	if (r->include_usage)
		evbuffer_add_printf(b, "data: {\"id\":\"chatcmpl-%s\","
		    "\"created\":%ld,\"model\":%s,\"object\":"
		    "\"chat.completion.chunk\",\"choices\":[],\"usage\":"
		    "{\"prompt_tokens\":%d,\"completion_tokens\":%d,"
		    "\"total_tokens\":%d}}\n\n", r->id, now, model_q,
		    MOCK_PROMPT_TOKENS, MOCK_COMPLETION_TOKENS,
		    MOCK_PROMPT_TOKENS + MOCK_COMPLETION_TOKENS);
	evbuffer_add(b, "data: [DONE]\n\n", 14);
	r->sse_done_sent = 1;
}

int
prov_mock_run(struct req *r, const char *text)
{
	const char	*model_q, *text_q;
	struct evbuffer	*b;
	long		 now = (long)time(NULL);

	r->t_up0 = r->t_up1 = req_now();
	r->api_base = NULL;	/* nothing was called: no base to show */
	r->prompt_tokens = MOCK_PROMPT_TOKENS;
	r->completion_tokens = MOCK_COMPLETION_TOKENS;
	if ((model_q = req_model_quoted(r)) == NULL ||
	    (text_q = js_quote(&r->ar, text)) == NULL ||
	    (r->out == NULL && (r->out = evbuffer_new()) == NULL)) {
		err_reply(r, 500, "internal_server_error", NULL,
		    "out of memory");
		return (LX_ERR);
	}
	memset(&r->oc, 0, sizeof(r->oc));
	r->oc.ok = 1;
	r->oc.status = 200;
	if (r->stream) {
		mock_stream(r, text, model_q, now);
		return (LX_OK);
	}
	b = r->out;
	evbuffer_add_printf(b, "{\"id\":\"chatcmpl-%s\",\"created\":%ld,"
	    "\"model\":%s,\"object\":\"chat.completion\","
	    "\"system_fingerprint\":null,\"choices\":[{\"finish_reason\":"
	    "\"stop\",\"index\":0,\"message\":{\"content\":%s,\"role\":"
	    "\"assistant\",\"tool_calls\":null,\"function_call\":null}}],"
	    "\"usage\":{\"completion_tokens\":%d,\"prompt_tokens\":%d,"
	    "\"total_tokens\":%d}}", r->id, now, model_q, text_q,
	    MOCK_COMPLETION_TOKENS, MOCK_PROMPT_TOKENS,
	    MOCK_PROMPT_TOKENS + MOCK_COMPLETION_TOKENS);
	return (LX_OK);
}
