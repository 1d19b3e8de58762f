/*
 * hdr.c: the framing of a request's header block, by RFC 9112.
 *
 * The connection guard (listen.c) hands every complete header block here
 * before evhttp sees it, so that llmux and evhttp can never read one
 * request two ways (request smuggling): whatever could be read in two ways
 * is refused.  Pure: no I/O, no allocation; the fuzzer links this file
 * alone.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hdr.h"

static int
hdr_is_tchar(int c)
{
	return (isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) !=
	    NULL));
}

/* The value of header line [line, eol) after name: OWS trimmed. */
static void
hdr_value(const char *line, const char *eol, size_t namelen,
    const char **v, const char **ve)
{
	const char	*b = line + namelen + 1, *e = eol;

	while (b < e && (*b == ' ' || *b == '\t'))
		b++;
	while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	*v = b;
	*ve = e;
}

static int
hdr_fail(struct hdr_info *hi, const char *why)
{
	hi->why = why;
	return (LX_ERR);
}

int
hdr_parse(const char *p, size_t n, struct hdr_info *hi)
{
	const char	*line = p, *end = p + n, *eol, *v, *ve, *c;
	long long	 cl;
	size_t		 nl;

	memset(hi, 0, sizeof(*hi));
	hi->content_length = -1;
	/* The request line: only the method matters here. */
	if ((eol = memchr(line, '\n', n)) == NULL)
		eol = end;
	if ((eol - line >= 5 && strncmp(line, "HEAD ", 5) == 0) ||
	    (eol - line >= 6 && strncmp(line, "TRACE ", 6) == 0))
		hi->nobody = 1;
	for (line = eol + 1; line < end; line = eol + 1) {
		if ((eol = memchr(line, '\n', (size_t)(end - line))) == NULL)
			eol = end;
		if (eol == line || (eol - line == 1 && *line == '\r'))
			break;		/* the blank line */
		if (*line == ' ' || *line == '\t')
			return (hdr_fail(hi,
			    "obsolete line folding in the request headers"));
		for (c = line; c < eol && hdr_is_tchar((unsigned char)*c); c++)
			;
		if (c == line || c == eol || *c != ':')
			return (hdr_fail(hi, "malformed request header "
			    "line"));
		nl = (size_t)(c - line);
		hdr_value(line, eol, nl, &v, &ve);
		if (nl == 14 && strncasecmp(line, "content-length", 14) == 0) {
			if (v == ve)
				return (hdr_fail(hi,
				    "invalid Content-Length"));
			for (cl = 0; v < ve; v++) {
				if (!isdigit((unsigned char)*v) ||
				    cl > (1LL << 50))
					return (hdr_fail(hi,
					    "invalid Content-Length"));
				cl = cl * 10 + (*v - '0');
			}
			if (hi->content_length >= 0 &&
			    hi->content_length != cl)
				return (hdr_fail(hi, "conflicting "
				    "Content-Length headers"));
			hi->content_length = cl;
		} else if (nl == 17 &&
		    strncasecmp(line, "transfer-encoding", 17) == 0) {
			if (hi->chunked || ve - v != 7 ||
			    strncasecmp(v, "chunked", 7) != 0)
				return (hdr_fail(hi, "unsupported "
				    "Transfer-Encoding (only chunked is)"));
			hi->chunked = 1;
		} else if (nl == 6 && strncasecmp(line, "expect", 6) == 0 &&
		    ve - v == 12 && strncasecmp(v, "100-continue", 12) == 0)
			hi->expect_continue = 1;
	}
	if (hi->chunked && hi->content_length >= 0)
		return (hdr_fail(hi,
		    "both Content-Length and Transfer-Encoding"));
	return (LX_OK);
}
