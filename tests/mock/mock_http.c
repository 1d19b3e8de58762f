/*
 * mock_http.c: client connections and a small HTTP/1.1 server parser.
 *
 * Life cycle: mhttp_new() on accept; the read event stays armed for the
 * whole life of the connection so that a client closing mid-answer is seen
 * at once (that is what /_mock/stats counts as an abort).  A complete
 * request is handed to mapi_dispatch(), which answers at once or marks the
 * connection busy and finishes later from its timer with mhttp_finish().
 * Input that arrives while busy is kept for after the answer.
 *
 * The parser works in place on one contiguous input buffer: it finds the
 * end of the head, records header offsets, then waits for Content-Length
 * bytes or decodes a chunked body by moving each chunk's data down next to
 * the previous one.  The buffer grows to the announced body size in one
 * step so a 2 MB body costs one allocation per connection, not per request.
 *
 * Writes go straight to the socket; only what the kernel refuses is copied
 * into an evbuffer and flushed from the write event.  Callbacks never free
 * a connection half-way: they set dead and mhttp_settle() frees it when
 * the callback returns.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "mock.h"

#define MHTTP_FIRST	(16 * 1024)	/* input buffer of a new connection */
#define MHTTP_KEEP	(8 * 1024 * 1024) /* larger idle buffers are shrunk */
#define MHTTP_MAXRAW	(MOCK_MAXHEAD + 2 * (size_t)MOCK_MAXBODY)

enum {
	MHTTP_MORE,
	MHTTP_DONE,
	MHTTP_BAD
};

static TAILQ_HEAD(, mconn)	 mhttp_conns =
    TAILQ_HEAD_INITIALIZER(mhttp_conns);

static void	 mhttp_read_cb(evutil_socket_t, short, void *);
static void	 mhttp_write_cb(evutil_socket_t, short, void *);
static void	 mhttp_process(struct mconn *);

void
mhttp_new(struct event_base *base, int fd)
{
	struct mconn	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->ib = malloc(MHTTP_FIRST)) == NULL)
		mock_fatal("out of memory");
	c->fd = fd;
	c->icap = MHTTP_FIRST;
	event_assign(&c->rev, base, fd, EV_READ | EV_PERSIST, mhttp_read_cb,
	    c);
	event_assign(&c->wev, base, fd, EV_WRITE, mhttp_write_cb, c);
	evtimer_assign(&c->tev, base, mapi_timer_cb, c);
	TAILQ_INSERT_TAIL(&mhttp_conns, c, entry);
	event_add(&c->rev, NULL);
	c->reading = 1;
}

static void
mhttp_free(struct mconn *c)
{
	event_del(&c->rev);
	event_del(&c->wev);
	event_del(&c->tev);
	close(c->fd);
	if (c->out != NULL)
		evbuffer_free(c->out);
	free(c->ib);
	mbuf_free(&c->ob);
	mbuf_free(&c->eb);
	mbuf_free(&c->sb);
	TAILQ_REMOVE(&mhttp_conns, c, entry);
	free(c);
}

void
mhttp_free_all(void)
{
	struct mconn	*c;

	while ((c = TAILQ_FIRST(&mhttp_conns)) != NULL)
		mhttp_free(c);
}

void
mhttp_settle(struct mconn *c)
{
	if (c->dead)
		mhttp_free(c);
}

/* The peer is gone (EOF, reset, failed write): abort what was running. */
static void
mhttp_drop(struct mconn *c)
{
	if (c->dead)
		return;
	c->dead = 1;
	mapi_abort(c);
}

int
mhttp_send(struct mconn *c, const void *p, size_t n)
{
	ssize_t	 w = 0;

	if (c->dead)
		return (-1);
	if (c->out != NULL && evbuffer_get_length(c->out) > 0) {
		/* Keep the order: earlier bytes are still queued. */
		if (evbuffer_add(c->out, p, n) == -1)
			mock_fatal("out of memory");
		return (0);
	}
	while (n > 0) {
		w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			mhttp_drop(c);
			return (-1);
		}
		p = (const char *)p + w;
		n -= w;
	}
	if (n == 0)
		return (0);
	if (c->out == NULL && (c->out = evbuffer_new()) == NULL)
		mock_fatal("out of memory");
	if (evbuffer_add(c->out, p, n) == -1)
		mock_fatal("out of memory");
	event_add(&c->wev, NULL);
	return (0);
}

static int
mhttp_pending(const struct mconn *c)
{
	return (c->out != NULL && evbuffer_get_length(c->out) > 0);
}

void
mhttp_close(struct mconn *c)
{
	c->busy = 0;
	c->closing = 1;
	if (!mhttp_pending(c))
		c->dead = 1;
}

void
mhttp_finish(struct mconn *c)
{
	if (c->dead)
		return;
	if (!c->keep) {
		mhttp_close(c);
		return;
	}
	c->busy = 0;
	/* Inside mhttp_process the loop picks up the next request itself. */
	if (!c->in_dispatch)
		mhttp_process(c);
}

static void
mhttp_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mconn	*c = arg;

	if (evbuffer_write(c->out, fd) == -1 &&
	    errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		mhttp_drop(c);
		goto out;
	}
	if (mhttp_pending(c))
		event_add(&c->wev, NULL);
	else if (c->closing)
		c->dead = 1;
 out:
	mhttp_settle(c);
}

/* Grow the input buffer to at least want bytes. */
static void
mhttp_reserve(struct mconn *c, size_t want)
{
	char	*p;

	if (want <= c->icap)
		return;
	if ((p = realloc(c->ib, want)) == NULL)
		mock_fatal("out of memory");
	c->ib = p;
	c->icap = want;
}

/*
 * Make room for the next read.  Returns -1 when the buffer may not grow:
 * busy (input waits for the answer) or the request is too large.
 */
static int
mhttp_room(struct mconn *c)
{
	size_t	 want;

	if (c->ilen < c->icap)
		return (0);
	if (c->busy || c->closing)
		return (-1);
	if (c->headdone && !c->chunked)
		want = c->hend + c->clen;
	else
		want = c->icap * 2;
	if (want <= c->icap || want > MHTTP_MAXRAW)
		return (-1);
	mhttp_reserve(c, want);
	return (0);
}

static void
mhttp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mconn	*c = arg;
	ssize_t		 n;

	if (mhttp_room(c) == -1) {
		if (c->busy || c->closing) {
			/* Pipelined input piles up: wait for the answer. */
			event_del(&c->rev);
			c->reading = 0;
		} else
			mapi_reject(c, 413, "request too large");
		goto out;
	}
	n = read(fd, c->ib + c->ilen, c->icap - c->ilen);
	if (n == 0) {
		mhttp_drop(c);
		goto out;
	}
	if (n == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			mhttp_drop(c);
		goto out;
	}
	c->ilen += n;
	if (!c->busy && !c->closing)
		mhttp_process(c);
 out:
	mhttp_settle(c);
}

/* Case-insensitive: does the n bytes at s contain the token t? */
static int
mhttp_has_token(const char *s, size_t n, const char *t)
{
	size_t	 tl = strlen(t), i;

	for (i = 0; i + tl <= n; i++)
		if (strncasecmp(s + i, t, tl) == 0)
			return (1);
	return (0);
}

static int
mhttp_name_is(const char *n, size_t nl, const char *want)
{
	return (nl == strlen(want) && strncasecmp(n, want, nl) == 0);
}

/* Parse the request line and headers in ib[0, hend).  0 or an HTTP status. */
static int
mhttp_parse_head(struct mconn *c)
{
	const char	*b = c->ib, *e = c->ib + c->hend - 2;
	const char	*p, *le, *sp1, *sp2, *colon, *v, *ve;
	size_t		 clen;
	int		 has_clen = 0;

	if ((le = memchr(b, '\n', e - b + 1)) == NULL)
		return (400);
	ve = le > b && le[-1] == '\r' ? le - 1 : le;
	if ((sp1 = memchr(b, ' ', ve - b)) == NULL ||
	    (sp2 = memchr(sp1 + 1, ' ', ve - sp1 - 1)) == NULL ||
	    sp1 == b || sp2 == sp1 + 1)
		return (400);
	if (ve - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0)
		return (400);
	c->keepalive = sp2[8] != '0';
	c->moff = 0;
	c->mlen = sp1 - b;
	c->toff = sp1 + 1 - b;
	c->tlen = sp2 - sp1 - 1;
	c->nhdr = 0;
	c->chunked = c->expect = 0;
	c->clen = 0;

	for (p = le + 1; p < e; p = le + 1) {
		if ((le = memchr(p, '\n', e - p + 1)) == NULL)
			le = e;
		ve = le > p && le[-1] == '\r' ? le - 1 : le;
		if ((colon = memchr(p, ':', ve - p)) == NULL || colon == p)
			return (400);
		for (v = colon + 1; v < ve && (*v == ' ' || *v == '\t'); v++)
			;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		if (c->nhdr < MOCK_MAXHDR) {
			c->hdr[c->nhdr].name = p - b;
			c->hdr[c->nhdr].nlen = colon - p;
			c->hdr[c->nhdr].val = v - b;
			c->hdr[c->nhdr].vlen = ve - v;
			c->nhdr++;
		}
		if (mhttp_name_is(p, colon - p, "content-length")) {
			if (v == ve)
				return (400);
			for (clen = 0; v < ve; v++) {
				if (*v < '0' || *v > '9' || clen > MOCK_MAXBODY)
					return (400);
				clen = clen * 10 + (*v - '0');
			}
			if (has_clen && clen != c->clen)
				return (400);
			c->clen = clen;
			has_clen = 1;
		} else if (mhttp_name_is(p, colon - p, "transfer-encoding")) {
			if (mhttp_has_token(v, ve - v, "chunked"))
				c->chunked = 1;
		} else if (mhttp_name_is(p, colon - p, "connection")) {
			if (mhttp_has_token(v, ve - v, "close"))
				c->keepalive = 0;
			else if (mhttp_has_token(v, ve - v, "keep-alive"))
				c->keepalive = 1;
		} else if (mhttp_name_is(p, colon - p, "expect")) {
			if (mhttp_has_token(v, ve - v, "100-continue"))
				c->expect = 1;
		}
	}
	if (c->chunked)
		c->clen = 0;
	if (c->clen > MOCK_MAXBODY)
		return (413);
	return (0);
}

/*
 * Decode as many complete chunks as the buffer holds, moving their data
 * down to ib[hend + bodylen].  The data only ever moves towards the front,
 * so the raw bytes still to parse are never overwritten.
 */
static int
mhttp_dechunk(struct mconn *c)
{
	char	*p, *le, *e;
	size_t	 sz, need;
	int	 digits;

	for (;;) {
		p = c->ib + c->craw;
		e = c->ib + c->ilen;
		if ((le = memchr(p, '\n', e - p)) == NULL)
			return (e - p > 1024 ? MHTTP_BAD : MHTTP_MORE);
		for (sz = 0, digits = 0; p < le; p++, digits++) {
			if (*p >= '0' && *p <= '9')
				sz = sz * 16 + (*p - '0');
			else if ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'f')
				sz = sz * 16 + ((*p | 0x20) - 'a' + 10);
			else
				break;		/* chunk extension or CR */
			if (sz > MOCK_MAXBODY)
				return (MHTTP_BAD);
		}
		if (digits == 0)
			return (MHTTP_BAD);
		if (sz == 0) {
			/* Last chunk: skip trailers up to the empty line. */
			for (p = le + 1;; p = le + 1) {
				if ((le = memchr(p, '\n', e - p)) == NULL)
					return (MHTTP_MORE);
				if (le == p || (le == p + 1 && *p == '\r'))
					break;
			}
			c->reqend = le + 1 - c->ib;
			return (MHTTP_DONE);
		}
		if (c->bodylen + sz > MOCK_MAXBODY)
			return (MHTTP_BAD);
		need = (le + 1 - c->ib) + sz + 2;
		if (need > c->ilen) {
			mhttp_reserve(c, need);
			return (MHTTP_MORE);
		}
		if (c->ib[need - 2] != '\r' || c->ib[need - 1] != '\n')
			return (MHTTP_BAD);
		memmove(c->ib + c->hend + c->bodylen, le + 1, sz);
		c->bodylen += sz;
		c->craw = need;
	}
}

/* Is a whole request at the head of ib?  On 400-class errors, rejects. */
static int
mhttp_parse(struct mconn *c)
{
	const char	*p;
	size_t		 from;
	int		 st, rc;

	if (!c->headdone) {
		/* Tolerate the stray CRLF some clients send after a body. */
		while (c->ilen >= 2 && c->ib[0] == '\r' && c->ib[1] == '\n') {
			memmove(c->ib, c->ib + 2, c->ilen - 2);
			c->ilen -= 2;
		}
		from = c->scan;
		p = memmem(c->ib + from, c->ilen - from, "\r\n\r\n", 4);
		if (p == NULL) {
			if (c->ilen >= MOCK_MAXHEAD) {
				mapi_reject(c, 431, "request head too large");
				return (MHTTP_BAD);
			}
			c->scan = c->ilen > 3 ? c->ilen - 3 : 0;
			return (MHTTP_MORE);
		}
		c->hend = p + 4 - c->ib;
		if ((st = mhttp_parse_head(c)) != 0) {
			mapi_reject(c, st, st == 413 ?
			    "request body too large" : "malformed request");
			return (MHTTP_BAD);
		}
		c->headdone = 1;
		c->craw = c->hend;
		c->bodylen = 0;
		if (!c->chunked)
			mhttp_reserve(c, c->hend + c->clen);
		/* curl waits a second for this before sending big bodies. */
		if (c->expect && (c->chunked || c->ilen < c->hend + c->clen))
			mhttp_send(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	}
	if (c->chunked) {
		if ((rc = mhttp_dechunk(c)) == MHTTP_BAD)
			mapi_reject(c, 400, "malformed chunked body");
		return (rc);
	}
	if (c->ilen - c->hend < c->clen)
		return (MHTTP_MORE);
	c->bodylen = c->clen;
	c->reqend = c->hend + c->clen;
	return (MHTTP_DONE);
}

/* Drop the answered request from ib, keeping what followed it. */
static void
mhttp_consume(struct mconn *c)
{
	size_t	 n = c->reqend;
	char	*p;

	if (c->ilen > n)
		memmove(c->ib, c->ib + n, c->ilen - n);
	c->ilen -= n;
	c->headdone = 0;
	c->scan = 0;
	c->hend = c->clen = c->bodylen = c->reqend = c->craw = 0;
	c->nhdr = 0;
	if (c->icap > MHTTP_KEEP && c->ilen <= MHTTP_FIRST &&
	    (p = realloc(c->ib, MHTTP_FIRST)) != NULL) {
		c->ib = p;
		c->icap = MHTTP_FIRST;
	}
}

static void
mhttp_dispatch(struct mconn *c)
{
	struct mreq	 rq;

	rq.base = c->ib;
	rq.method = c->ib + c->moff;
	rq.mlen = c->mlen;
	rq.target = c->ib + c->toff;
	rq.tlen = c->tlen;
	rq.body = c->ib + c->hend;
	rq.blen = c->bodylen;
	rq.hdr = c->hdr;
	rq.nhdr = c->nhdr;
	c->busy = 1;
	c->keep = c->keepalive;
	c->in_dispatch = 1;
	mapi_dispatch(c, &rq);
	c->in_dispatch = 0;
	mhttp_consume(c);
}

static void
mhttp_process(struct mconn *c)
{
	while (!c->busy && !c->dead && !c->closing) {
		if (mhttp_parse(c) != MHTTP_DONE)
			break;
		mhttp_dispatch(c);
	}
	if (!c->dead && !c->reading && !c->busy) {
		event_add(&c->rev, NULL);
		c->reading = 1;
	}
}
