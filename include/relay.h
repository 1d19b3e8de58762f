/*
 * relay.h: the upstream call every network provider shares (relay.c).
 *
 * A provider (prov_<name>.c) says how to reach its upstream and how to
 * translate both ways; the relay does the rest: timeouts, the call itself,
 * whole bodies up to max_response_size_mb, streams relayed event by event
 * with backpressure, [DONE], and the classification of what went wrong.
 * The call ends in a struct rly_outcome handed to req_outcome(), which
 * decides whether to reply, retry or fall back.  The relay never answers
 * the client itself.
 */
#ifndef RELAY_H
#define RELAY_H

#include <stddef.h>

#include "llmux.h"

/* How an upstream call ended, for req.c to decide on. */
struct rly_outcome {
	int		 ok;		/* r->out holds the answer */
	int		 status;	/* HTTP status for the client */
	const char	*cls;		/* LiteLLM class ("RateLimitError") */
	const char	*type;		/* the error body's type; NULL: null */
	const char	*msg;		/* client-facing message, in r->ar */
	const char	*retry_after;	/* the upstream's retry-after, or NULL */
	long		 up_status;	/* the upstream's own status (0: none) */
	unsigned	 sent:1;	/* bytes already reached the client */
};

/*
 * The provider stage of a network provider: build the call through the
 * provider's callbacks and start it.  LX_AGAIN: req_outcome() follows from
 * the loop; LX_ERR after replying (no api_base, out of memory).
 */
int	rly_start(struct req *) LX_MUSTCHECK;
/*
 * LiteLLM's class of an upstream error with HTTP status st and text msg
 * (NULL: none), as its exception mapping does for OpenAI-compatible
 * providers: a 4xx whose text says the prompt is too long is
 * "ContextWindowExceededError", one that names a content filter or
 * policy "ContentPolicyViolationError"; else err_class(st).  Static
 * strings; does not allocate.
 */
const char *rly_classify(int st, const char *msg);
/*
 * Does key (klen bytes, not NUL-terminated) name a request field LiteLLM
 * consumes itself and never forwards (metadata, fallbacks, api_key...)?
 */
int	rly_is_proxy_field(const char *key, size_t klen);

#endif
