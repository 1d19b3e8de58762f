/*
 * health.h: the health probes (health.c), answered without a key and
 * without a request object.
 */
#ifndef HEALTH_H
#define HEALTH_H

#include "llmux.h"

struct evhttp_request;

/* /health/liveliness and /health/liveness: "I'm alive!" (OPTIONS: Allow). */
void	hlt_live(struct wrk *, struct evhttp_request *);
/* /health/readiness: 200 while serving, 503 once the worker drains. */
void	hlt_ready(struct wrk *, struct evhttp_request *);

#endif
