/*
 * listen.h: stage 0, the client side of a worker (listen.c): evhttp on
 * the inherited socket, a guard on every connection that enforces the
 * header and body deadlines and one reading of the request framing, the
 * route table (with and without /v1) and the request body index.
 */
#ifndef LISTEN_H
#define LISTEN_H

#include <stddef.h>

#include "llmux.h"

/* Serve fd with w's evhttp; LX_ERR when evhttp cannot be set up. */
int	lsn_init(struct wrk *, int fd) LX_MUSTCHECK;
/*
 * Drain: stop accepting; the next answer on each kept-alive connection
 * carries Connection: close; connections that stay quiet for a second
 * are closed.
 */
void	lsn_stop(struct wrk *);
/* Close every connection and free what listen.c holds (worker exit). */
void	lsn_free(struct wrk *);
/* Client connections this worker holds open. */
long	lsn_connections(void);

/* The parse stage of a chat request (req.c runs it after auth). */
int	lsn_parse_chat(struct req *) LX_MUSTCHECK;


#endif
