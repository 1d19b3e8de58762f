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

/* Exposed for the unit tests and the fuzzer: the guard's header scan. */
struct lsn_hdrinfo {
	long long	 content_length;	/* -1: none */
	int		 chunked;		/* Transfer-Encoding: chunked */
	int		 expect_continue;	/* Expect: 100-continue */
	int		 nobody;		/* HEAD or TRACE: no body */
	const char	*why;			/* on LX_ERR: for the 400 */
};
/*
 * Read the framing of header block p (request line, header lines, blank
 * line).  LX_ERR when it must be refused with 400 (RFC 9112 section 6.3:
 * an invalid or conflicting Content-Length, Content-Length with
 * Transfer-Encoding, a coding other than chunked, folding, a malformed
 * line); hi->why says which.  Does not allocate.
 */
int	lsn_parse_headers(const char *p, size_t n, struct lsn_hdrinfo *);

#endif
