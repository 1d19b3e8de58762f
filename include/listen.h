/*
 * listen.h: stage 0, the client side of a worker (listen.c): evhttp on
 * the inherited socket, limits on what clients send, routes (with and
 * without /v1) and the request body index.
 */
#ifndef LISTEN_H
#define LISTEN_H

#include "llmux.h"

/* Serve fd with w's evhttp; LX_ERR when evhttp cannot be set up. */
int	lsn_init(struct wrk *, int fd) LX_MUSTCHECK;
/* Stop accepting new connections (drain). */
void	lsn_stop(struct wrk *);
void	lsn_free(struct wrk *);

/* The parse stage of a chat request (req.c runs it after auth). */
int	lsn_parse_chat(struct req *) LX_MUSTCHECK;

/* Exposed for the unit tests: the guard's header scan. */
struct lsn_hdrinfo {
	long long	content_length;		/* -1: none */
	int		chunked;
};
int	lsn_parse_headers(const char *p, size_t n, struct lsn_hdrinfo *);

#endif
