/*
 * hdr.h: the framing of an HTTP/1.1 request header block (hdr.c), read
 * once by the connection guard (listen.c) before evhttp parses it.
 */
#ifndef HDR_H
#define HDR_H

#include <stddef.h>

#include "llmux.h"

struct hdr_info {
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
int	hdr_parse(const char *p, size_t n, struct hdr_info *) LX_MUSTCHECK;

#endif
