/*
 * mock_api.c: what the mock answers, and how badly.
 *
 * mapi_dispatch() routes a parsed request, gathers its behaviour directives
 * (path segment /x/k=v,..., then header x-mock, then [[mock:k=v,...]] in the
 * body; later ones win) and answers.  The body is never parsed in full: a
 * skipping scanner walks the top-level object for model, stream,
 * stream_options.include_usage, input and encoding_format, which costs one
 * memchr per JSON string even for a 2 MB prompt.
 *
 * Everything a deferred answer needs (model, texts of directives) is copied
 * into the connection's string buffer, because the input buffer is reused
 * as soon as dispatch returns.  Deferred answers run from the connection's
 * one timer; the state machine is in struct mapi_resp:
 *
 *	IDLE -> WAIT (latency_ms) -> answer -> IDLE
 *	IDLE -> [WAIT] -> STREAM (one event per step, chunk delays and split
 *	    pieces are timer waits) -> IDLE, or closed by break_after
 *	IDLE -> HANG until the client closes
 *
 * To add a directive, add a field to struct mapi_dir (mock.h), a row to
 * mapi_keys[] and a default to mapi_dir_reset(), then use it.
 */
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>

#include "mock.h"

enum {
	MAPI_NONE,
	MAPI_CHAT,
	MAPI_TEXT,		/* legacy /completions */
	MAPI_EMBED,
	MAPI_MODELS
};

/* Where a directive string came from decides how its values decode. */
enum {
	MAPI_SRC_PATH,		/* percent-encoded */
	MAPI_SRC_HDR,		/* verbatim but %2C */
	MAPI_SRC_BODY		/* JSON string escapes, then %2C */
};

enum {
	MAPI_INT,
	MAPI_TEXTV
};

static const struct mapi_key {
	const char	*name;
	int		 type;
	size_t		 off;
	long		 min;
	long		 max;
} mapi_keys[] = {
	{ "latency_ms", MAPI_INT, offsetof(struct mapi_dir, latency_ms),
	    0, 3600000 },
	{ "status", MAPI_INT, offsetof(struct mapi_dir, status), 100, 599 },
	{ "retry_after", MAPI_INT, offsetof(struct mapi_dir, retry_after),
	    -1, 86400 },
	{ "chunks", MAPI_INT, offsetof(struct mapi_dir, chunks), 0, 100000 },
	{ "chunk_delay_ms", MAPI_INT,
	    offsetof(struct mapi_dir, chunk_delay_ms), 0, 3600000 },
	{ "hang", MAPI_INT, offsetof(struct mapi_dir, hang), 0, 1 },
	{ "break_after", MAPI_INT, offsetof(struct mapi_dir, break_after),
	    -1, 100000 },
	{ "split", MAPI_INT, offsetof(struct mapi_dir, split), 0, 1 },
	{ "stamp", MAPI_INT, offsetof(struct mapi_dir, stamp), 0, 1 },
	{ "headers_late", MAPI_INT, offsetof(struct mapi_dir, headers_late),
	    0, 1 },
	{ "prompt_tokens", MAPI_INT,
	    offsetof(struct mapi_dir, prompt_tokens), -1, 100000000 },
	{ "completion_tokens", MAPI_INT,
	    offsetof(struct mapi_dir, completion_tokens), -1, 100000000 },
	{ "finish_reason", MAPI_TEXTV,
	    offsetof(struct mapi_dir, finish_reason), 0, 0 },
	{ "message", MAPI_TEXTV, offsetof(struct mapi_dir, message), 0, 0 },
	{ "content", MAPI_TEXTV, offsetof(struct mapi_dir, content), 0, 0 },
	{ "code", MAPI_TEXTV, offsetof(struct mapi_dir, code), 0, 0 },
	{ "type", MAPI_TEXTV, offsetof(struct mapi_dir, type), 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

static const struct mapi_status {
	int		 status;
	const char	*reason;
	const char	*code;
} mapi_statuses[] = {
	{ 200, "OK", NULL },
	{ 400, "Bad Request", "invalid_request" },
	{ 401, "Unauthorized", "invalid_api_key" },
	{ 403, "Forbidden", "permission_denied" },
	{ 404, "Not Found", "not_found" },
	{ 408, "Request Timeout", "timeout" },
	{ 409, "Conflict", "conflict" },
	{ 413, "Content Too Large", "payload_too_large" },
	{ 422, "Unprocessable Content", "unprocessable_entity" },
	{ 429, "Too Many Requests", "rate_limit_exceeded" },
	{ 431, "Request Header Fields Too Large", "headers_too_large" },
	{ 500, "Internal Server Error", "internal_error" },
	{ 501, "Not Implemented", "not_implemented" },
	{ 502, "Bad Gateway", "bad_gateway" },
	{ 503, "Service Unavailable", "service_unavailable" },
	{ 504, "Gateway Timeout", "gateway_timeout" },
	{ 529, "Overloaded", "overloaded" },
	{ 0, NULL, NULL }
};

static const char *const mapi_models[] = {
	"mock-model", "gpt-4o", "gpt-4o-mini", "text-embedding-3-small", NULL
};

#define MAPI_DEFAULT_CONTENT	"Hello from mock"
#define MAPI_EMBED_DIM		8
#define MAPI_MAX_PTOK		1000000
#define MAPI_MAX_INPUT		2048

/* What the body scan found; pointers into the request body. */
struct mapi_scan {
	const char	*model;
	size_t		 model_len;
	int		 stream;
	int		 include_usage;
	int		 b64;
	int		 ninput;
};

static uint64_t	 mapi_rng = 0x9e3779b97f4a7c15ULL;
static uint64_t	 mapi_ids;

static void	 mapi_stream_run(struct mconn *);

void
mapi_seed(uint64_t seed)
{
	if (seed != 0)
		mapi_rng = seed;
	/* Ids stay unique across --workers processes. */
	mapi_ids = (uint64_t)mock_opt.worker * 1000000000000ULL;
}

static uint64_t
mapi_random(void)
{
	/* xorshift64: split points only need to vary, not be secret. */
	mapi_rng ^= mapi_rng << 13;
	mapi_rng ^= mapi_rng >> 7;
	mapi_rng ^= mapi_rng << 17;
	return (mapi_rng);
}

static uint64_t
mapi_now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec);
}

static const struct mapi_status *
mapi_status_find(int status)
{
	static const struct mapi_status	 unknown = {
		0, "Unknown", "mock_error"
	};
	const struct mapi_status	*s;

	for (s = mapi_statuses; s->status != 0; s++)
		if (s->status == status)
			return (s);
	return (&unknown);
}

static const char *
mapi_sb(const struct mconn *c, const struct mapi_str *s)
{
	return (c->sb.d + s->off);
}

/* Append the decoded form of s to the string buffer; set *out. */
static void
mapi_str_put(struct mconn *c, struct mapi_str *out, const char *s, size_t n)
{
	out->off = c->sb.len;
	mbuf_add(&c->sb, s, n);
	out->len = c->sb.len - out->off;
	out->set = 1;
}

static int
mapi_hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return (ch - '0');
	ch |= 0x20;
	if (ch >= 'a' && ch <= 'f')
		return (ch - 'a' + 10);
	return (-1);
}

/* Append code point cp as UTF-8. */
static void
mapi_put_utf8(struct mbuf *b, unsigned int cp)
{
	if (cp < 0x80)
		mbuf_addc(b, cp);
	else if (cp < 0x800) {
		mbuf_addc(b, 0xc0 | cp >> 6);
		mbuf_addc(b, 0x80 | (cp & 0x3f));
	} else {
		if (cp >= 0xd800 && cp <= 0xdfff)
			cp = 0xfffd;	/* lone surrogate halves */
		mbuf_addc(b, 0xe0 | cp >> 12);
		mbuf_addc(b, 0x80 | ((cp >> 6) & 0x3f));
		mbuf_addc(b, 0x80 | (cp & 0x3f));
	}
}

/* Decode a directive value from src into the string buffer. */
static void
mapi_decode(struct mconn *c, struct mapi_str *out, const char *s, size_t n,
    int src)
{
	struct mbuf	*b = &c->sb;
	const char	*e = s + n;
	unsigned int	 cp;
	int		 h, l, i;

	out->off = b->len;
	out->set = 1;
	while (s < e) {
		if (*s == '%' && e - s >= 3 &&
		    (h = mapi_hexval(s[1])) >= 0 &&
		    (l = mapi_hexval(s[2])) >= 0 &&
		    (src == MAPI_SRC_PATH || (h == 2 && l == 0xc))) {
			mbuf_addc(b, h << 4 | l);
			s += 3;
			continue;
		}
		if (*s == '\\' && src == MAPI_SRC_BODY && e - s >= 2) {
			s++;
			switch (*s) {
			case 'n':
				mbuf_addc(b, '\n');
				break;
			case 't':
				mbuf_addc(b, '\t');
				break;
			case 'r':
				mbuf_addc(b, '\r');
				break;
			case 'b':
				mbuf_addc(b, '\b');
				break;
			case 'f':
				mbuf_addc(b, '\f');
				break;
			case 'u':
				for (cp = 0, i = 1; i <= 4 && s + i < e &&
				    (h = mapi_hexval(s[i])) >= 0; i++)
					cp = cp << 4 | h;
				if (i != 5) {
					mbuf_addc(b, 'u');
					break;
				}
				mapi_put_utf8(b, cp);
				s += 4;
				break;
			default:
				mbuf_addc(b, *s);	/* \" \\ \/ */
				break;
			}
			s++;
			continue;
		}
		mbuf_addc(b, *s++);
	}
	out->len = b->len - out->off;
}

static long
mapi_atol(const char *s, size_t n, long min, long max)
{
	long	 v = 0;
	size_t	 i = 0;
	int	 neg = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i < n && s[i] == '-') {
		neg = 1;
		i++;
	}
	if (n - i == 4 && memcmp(s + i, "true", 4) == 0)
		return (1 < min ? min : 1 > max ? max : 1);
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		if (v < max)
			v = v * 10 + (s[i] - '0');
	if (neg)
		v = -v;
	if (v < min)
		v = min;
	if (v > max)
		v = max;
	return (v);
}

static void
mapi_dir_reset(struct mapi_dir *d)
{
	memset(d, 0, sizeof(*d));
	d->retry_after = -1;
	d->chunks = 5;
	d->break_after = -1;
	d->prompt_tokens = -1;
	d->completion_tokens = -1;
}

static void
mapi_dir_set(struct mconn *c, const char *k, size_t kl, const char *v,
    size_t vl, int src)
{
	const struct mapi_key	*key;
	char			*base = (char *)&c->rs.d;

	while (kl > 0 && (*k == ' ' || *k == '\t')) {
		k++;
		kl--;
	}
	while (kl > 0 && (k[kl - 1] == ' ' || k[kl - 1] == '\t'))
		kl--;
	for (key = mapi_keys; key->name != NULL; key++) {
		if (strlen(key->name) != kl || memcmp(key->name, k, kl) != 0)
			continue;
		if (key->type == MAPI_INT)
			*(long *)(base + key->off) = mapi_atol(v, vl, key->min,
			    key->max);
		else
			mapi_decode(c, (struct mapi_str *)(base + key->off),
			    v, vl, src);
		return;
	}
	/* Unknown keys are ignored so tests can carry notes. */
}

/* Apply "k=v,k=v" (n bytes at s). */
static void
mapi_dir_parse(struct mconn *c, const char *s, size_t n, int src)
{
	const char	*e = s + n, *comma, *eq;

	while (s < e) {
		if ((comma = memchr(s, ',', e - s)) == NULL)
			comma = e;
		if ((eq = memchr(s, '=', comma - s)) != NULL)
			mapi_dir_set(c, s, eq - s, eq + 1, comma - eq - 1, src);
		s = comma + 1;
	}
}

static const char *
mapi_header(const struct mreq *rq, const char *name, size_t *vlen)
{
	const struct mhttp_hdr	*h;
	size_t			 nl = strlen(name);
	unsigned int		 i;

	for (i = 0; i < rq->nhdr; i++) {
		h = &rq->hdr[i];
		if (h->nlen == nl && strncasecmp(rq->base + h->name, name,
		    nl) == 0) {
			*vlen = h->vlen;
			return (rq->base + h->val);
		}
	}
	return (NULL);
}

/* Gather the directives of rq in precedence order. */
static void
mapi_dir_collect(struct mconn *c, const struct mreq *rq, const char *path,
    size_t plen)
{
	const char	*p, *e = path + plen, *seg, *end, *v;
	const char	*be = rq->body + rq->blen;
	size_t		 vl;

	/* 1: every /x/<directives> path segment. */
	for (p = path; p < e; p = end) {
		seg = p + 1;
		if ((end = memchr(seg, '/', e - seg)) == NULL)
			end = e;
		if (end - seg == 1 && *seg == 'x' && end < e) {
			seg = end + 1;
			if ((end = memchr(seg, '/', e - seg)) == NULL)
				end = e;
			mapi_dir_parse(c, seg, end - seg, MAPI_SRC_PATH);
		}
	}
	/* 2: the x-mock header. */
	if ((v = mapi_header(rq, "x-mock", &vl)) != NULL)
		mapi_dir_parse(c, v, vl, MAPI_SRC_HDR);
	/* 3: [[mock:...]] in the body; a later one overrides earlier ones. */
	for (p = rq->body; p < be; p = end + 2) {
		if ((p = memmem(p, be - p, "[[mock:", 7)) == NULL)
			break;
		p += 7;
		if ((end = memmem(p, be - p, "]]", 2)) == NULL)
			break;
		mapi_dir_parse(c, p, end - p, MAPI_SRC_BODY);
	}
}

static const char *
mapi_js_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return (p);
}

/* p is at a '"': return the byte after the closing quote, or NULL. */
static const char *
mapi_js_str(const char *p, const char *e)
{
	const char	*q, *b;

	for (p++; p < e; p = q + 1) {
		if ((q = memchr(p, '"', e - p)) == NULL)
			return (NULL);
		/* An odd run of backslashes escapes the quote. */
		for (b = q; b > p && b[-1] == '\\'; b--)
			;
		if (((q - b) & 1) == 0)
			return (q + 1);
	}
	return (NULL);
}

/*
 * Skip one value at p.  Scalars end at the ',', '}' or ']' that follows
 * them (returned, not consumed); strings and containers end after their
 * closing byte.  No validation beyond the nesting.
 */
static const char *
mapi_js_skip(const char *p, const char *e)
{
	int	 depth = 0;

	while (p < e) {
		switch (*p) {
		case '"':
			if ((p = mapi_js_str(p, e)) == NULL)
				return (NULL);
			if (depth == 0)
				return (p);
			continue;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (depth == 0)
				return (p);
			if (--depth == 0)
				return (p + 1);
			break;
		case ',':
			if (depth == 0)
				return (p);
			break;
		}
		p++;
	}
	return (depth == 0 ? p : NULL);
}

static int
mapi_js_key(const char *k, size_t kl, const char *want)
{
	return (kl == strlen(want) && memcmp(k, want, kl) == 0);
}

/* Count the inputs of an embeddings request: "input" value at [v, ve). */
static int
mapi_count_input(const char *v, const char *ve)
{
	const char	*p, *q;
	int		 n = 0;

	if (*v == '"')
		return (1);
	if (*v != '[')
		return (1);
	p = mapi_js_ws(v + 1, ve);
	if (p < ve && (*p == '-' || (*p >= '0' && *p <= '9')))
		return (1);		/* one input given as token ids */
	while (p < ve && *p != ']' && n < MAPI_MAX_INPUT) {
		/* A stray ',' or '}' does not move the scanner: stop there. */
		if ((q = mapi_js_skip(p, ve)) == NULL || q == p)
			return (n + 1);
		n++;
		p = mapi_js_ws(q, ve);
		if (p < ve && *p == ',')
			p = mapi_js_ws(p + 1, ve);
	}
	return (n);
}

/*
 * Walk the object at p (n bytes): at level 0 the request, at level 1 its
 * stream_options.  Returns -1 when the body is not a JSON object.
 */
static int
mapi_scan(const char *p, size_t n, struct mapi_scan *sc, int level)
{
	const char	*e = p + n, *k, *v, *ve;
	size_t		 kl;

	p = mapi_js_ws(p, e);
	if (p == e || *p != '{')
		return (-1);
	for (p++;;) {
		p = mapi_js_ws(p, e);
		if (p < e && *p == '}')
			return (0);
		if (p == e || *p != '"')
			return (-1);
		k = p + 1;
		if ((p = mapi_js_str(p, e)) == NULL)
			return (-1);
		kl = p - 1 - k;
		p = mapi_js_ws(p, e);
		if (p == e || *p != ':')
			return (-1);
		v = mapi_js_ws(p + 1, e);
		if (v == e || (ve = mapi_js_skip(v, e)) == NULL || ve == v)
			return (-1);
		if (level == 1) {
			if (mapi_js_key(k, kl, "include_usage"))
				sc->include_usage = *v == 't';
		} else if (mapi_js_key(k, kl, "model") && *v == '"') {
			sc->model = v + 1;
			sc->model_len = ve - v - 2;
		} else if (mapi_js_key(k, kl, "stream"))
			sc->stream = *v == 't';
		else if (mapi_js_key(k, kl, "stream_options") && *v == '{')
			(void)mapi_scan(v, ve - v, sc, 1);
		else if (mapi_js_key(k, kl, "input"))
			sc->ninput = mapi_count_input(v, ve);
		else if (mapi_js_key(k, kl, "encoding_format"))
			sc->b64 = ve - v == 8 &&
			    memcmp(v, "\"base64\"", 8) == 0;
		p = mapi_js_ws(ve, e);
		if (p < e && *p == ',') {
			p++;
			continue;
		}
		if (p < e && *p == '}')
			return (0);
		return (-1);
	}
}

static int
mapi_ends_with(const char *p, size_t n, const char *suf)
{
	size_t	 sl = strlen(suf);

	return (n >= sl && memcmp(p + n - sl, suf, sl) == 0);
}

static int
mapi_route(const struct mreq *rq, const char *path, size_t plen)
{
	if (rq->mlen == 4 && memcmp(rq->method, "POST", 4) == 0) {
		if (mapi_ends_with(path, plen, "/chat/completions"))
			return (MAPI_CHAT);
		if (mapi_ends_with(path, plen, "/completions"))
			return (MAPI_TEXT);
		if (mapi_ends_with(path, plen, "/embeddings"))
			return (MAPI_EMBED);
	} else if (rq->mlen == 3 && memcmp(rq->method, "GET", 3) == 0) {
		if (mapi_ends_with(path, plen, "/models"))
			return (MAPI_MODELS);
	}
	return (MAPI_NONE);
}

/* Status line and headers; clen < 0 means a chunked event stream. */
static void
mapi_head(struct mconn *c, struct mbuf *b, int status, const char *ctype,
    ssize_t clen)
{
	mbuf_add(b, "HTTP/1.1 ", 9);
	mbuf_addu(b, status);
	mbuf_addc(b, ' ');
	mbuf_adds(b, mapi_status_find(status)->reason);
	mbuf_add(b, "\r\nContent-Type: ", 16);
	mbuf_adds(b, ctype);
	if (clen >= 0) {
		mbuf_add(b, "\r\nContent-Length: ", 18);
		mbuf_addu(b, clen);
	} else
		mbuf_adds(b, "\r\nCache-Control: no-cache"
		    "\r\nTransfer-Encoding: chunked");
	if (c->rs.d.retry_after >= 0) {
		mbuf_add(b, "\r\nretry-after: ", 15);
		mbuf_addu(b, c->rs.d.retry_after);
	}
	if (!c->keep)
		mbuf_adds(b, "\r\nConnection: close");
	mbuf_add(b, "\r\n\r\n", 4);
}

/* Send c->eb as a complete response body. */
static int	mapi_flush(struct mconn *);

static int
mapi_send_body(struct mconn *c, int status, const char *ctype)
{
	c->ob.len = 0;
	mapi_head(c, &c->ob, status, ctype, c->eb.len);
	mbuf_add(&c->ob, c->eb.d, c->eb.len);
	/* Empty the buffer once sent: a stream on this connection reuses it. */
	return (mapi_flush(c));
}

/* OpenAI-style error body into c->eb, then send it. */
static int
mapi_send_error(struct mconn *c, int status, const char *msg, size_t mlen)
{
	const struct mapi_dir	*d = &c->rs.d;
	struct mbuf		*b = &c->eb;
	const char		*type;

	if (status == 429)
		type = "rate_limit_error";
	else if (status >= 500)
		type = "server_error";
	else
		type = "invalid_request_error";
	b->len = 0;
	mbuf_adds(b, "{\"error\":{\"message\":\"");
	if (msg != NULL)
		mbuf_json(b, msg, mlen);
	else if (d->message.set)
		mbuf_json(b, mapi_sb(c, &d->message), d->message.len);
	else {
		mbuf_adds(b, "mock error ");
		mbuf_addu(b, status);
	}
	mbuf_adds(b, "\",\"type\":\"");
	if (d->type.set)
		mbuf_json(b, mapi_sb(c, &d->type), d->type.len);
	else
		mbuf_adds(b, type);
	mbuf_adds(b, "\",\"param\":null,\"code\":\"");
	if (d->code.set)
		mbuf_json(b, mapi_sb(c, &d->code), d->code.len);
	else
		mbuf_adds(b, mapi_status_find(status)->code);
	mbuf_adds(b, "\"}}");
	return (mapi_send_body(c, status, "application/json"));
}

void
mapi_reject(struct mconn *c, int status, const char *msg)
{
	mapi_dir_reset(&c->rs.d);
	c->keep = 0;
	(void)mapi_send_error(c, status, msg, strlen(msg));
	mhttp_close(c);
}

static void
mapi_begin(struct mconn *c)
{
	c->rs.active = 1;
	mrec_stats.in_flight++;
}

/* The answer is out (or cut on purpose): uncount it and move on. */
static void
mapi_end(struct mconn *c, int close)
{
	struct mapi_resp	*rs = &c->rs;

	if (!rs->active)
		return;
	rs->active = 0;
	rs->state = MAPI_IDLE;
	mrec_stats.in_flight--;
	if (close)
		mhttp_close(c);
	else
		mhttp_finish(c);
}

void
mapi_abort(struct mconn *c)
{
	struct mapi_resp	*rs = &c->rs;

	event_del(&c->tev);
	if (!rs->active)
		return;
	rs->active = 0;
	mrec_stats.in_flight--;
	mrec_stats.aborted++;
	if (rs->stream)
		mrec_stats.streams_aborted++;
	if (rs->state == MAPI_HANG)
		mrec_stats.hung_open--;
	rs->state = MAPI_IDLE;
}

static void
mapi_timer(struct mconn *c, long ms)
{
	struct timeval	 tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(&c->tev, &tv);
}

static const char *
mapi_finish_reason(const struct mconn *c, size_t *len)
{
	const struct mapi_dir	*d = &c->rs.d;

	if (d->finish_reason.set) {
		*len = d->finish_reason.len;
		return (mapi_sb(c, &d->finish_reason));
	}
	*len = 4;
	return ("stop");
}

static void
mapi_usage(const struct mconn *c, struct mbuf *b)
{
	const struct mapi_resp	*rs = &c->rs;

	mbuf_adds(b, "\"usage\":{\"prompt_tokens\":");
	mbuf_addi(b, rs->ptok);
	if (rs->kind != MAPI_EMBED) {
		mbuf_adds(b, ",\"completion_tokens\":");
		mbuf_addi(b, rs->ctok);
	}
	mbuf_adds(b, ",\"total_tokens\":");
	mbuf_addi(b, rs->ptok + rs->ctok);
	mbuf_addc(b, '}');
}

/* {"id":...,"object":...,"created":...,"model":..., shared by all bodies. */
static void
mapi_obj_head(const struct mconn *c, struct mbuf *b, const char *object)
{
	const struct mapi_resp	*rs = &c->rs;

	mbuf_adds(b, rs->kind == MAPI_CHAT ? "{\"id\":\"chatcmpl-mock" :
	    "{\"id\":\"cmpl-mock");
	mbuf_addu(b, rs->id);
	mbuf_adds(b, "\",\"object\":\"");
	mbuf_adds(b, object);
	mbuf_adds(b, "\",\"created\":");
	mbuf_addi(b, rs->created);
	mbuf_adds(b, ",\"model\":\"");
	mbuf_add(b, mapi_sb(c, &rs->model), rs->model.len);
	mbuf_add(b, "\",", 2);
}

static void
mapi_content(const struct mconn *c, const char **s, size_t *n)
{
	const struct mapi_dir	*d = &c->rs.d;

	if (d->content.set) {
		*s = mapi_sb(c, &d->content);
		*n = d->content.len;
	} else {
		*s = MAPI_DEFAULT_CONTENT;
		*n = sizeof(MAPI_DEFAULT_CONTENT) - 1;
	}
}

static int
mapi_send_completion(struct mconn *c)
{
	struct mbuf	*b = &c->eb;
	const char	*s, *fr;
	size_t		 n, frl;

	mapi_content(c, &s, &n);
	fr = mapi_finish_reason(c, &frl);
	b->len = 0;
	if (c->rs.kind == MAPI_CHAT) {
		mapi_obj_head(c, b, "chat.completion");
		mbuf_adds(b, "\"choices\":[{\"index\":0,\"message\":"
		    "{\"role\":\"assistant\",\"content\":\"");
		mbuf_json(b, s, n);
		mbuf_adds(b, "\"},\"logprobs\":null,\"finish_reason\":\"");
	} else {
		mapi_obj_head(c, b, "text_completion");
		mbuf_adds(b, "\"choices\":[{\"text\":\"");
		mbuf_json(b, s, n);
		mbuf_adds(b, "\",\"index\":0,\"logprobs\":null,"
		    "\"finish_reason\":\"");
	}
	mbuf_json(b, fr, frl);
	mbuf_adds(b, "\"}],");
	mapi_usage(c, b);
	mbuf_addc(b, '}');
	return (mapi_send_body(c, 200, "application/json"));
}

/* Append 0 <= v < 1 with five decimals; printf is not needed for that. */
static void
mapi_fixed5(struct mbuf *b, float v)
{
	char		 digits[5];
	uint32_t	 u = (uint32_t)(v * 100000.0f + 0.5f);
	int		 i;

	if (u > 99999)
		u = 99999;
	for (i = 4; i >= 0; i--) {
		digits[i] = '0' + u % 10;
		u /= 10;
	}
	mbuf_add(b, "0.", 2);
	mbuf_add(b, digits, sizeof(digits));
}

static int
mapi_send_embeddings(struct mconn *c)
{
	const struct mapi_resp	*rs = &c->rs;
	struct mbuf		*b = &c->eb;
	float			 vec[MAPI_EMBED_DIM];
	unsigned char		 raw[sizeof(vec)];
	int			 i, j;

	b->len = 0;
	mbuf_adds(b, "{\"object\":\"list\",\"data\":[");
	for (i = 0; i < rs->ninput; i++) {
		if (i > 0)
			mbuf_addc(b, ',');
		mbuf_adds(b, "{\"object\":\"embedding\",\"index\":");
		mbuf_addu(b, i);
		mbuf_adds(b, ",\"embedding\":");
		/* Small exact binary fractions print without rounding. */
		for (j = 0; j < MAPI_EMBED_DIM; j++)
			vec[j] = (float)((i + j) % 16 + 1) / 32.0f;
		if (rs->b64) {
			memcpy(raw, vec, sizeof(raw));
			mbuf_addc(b, '"');
			mbuf_b64(b, raw, sizeof(raw));
			mbuf_addc(b, '"');
		} else {
			mbuf_addc(b, '[');
			for (j = 0; j < MAPI_EMBED_DIM; j++) {
				if (j > 0)
					mbuf_addc(b, ',');
				mapi_fixed5(b, vec[j]);
			}
			mbuf_addc(b, ']');
		}
		mbuf_addc(b, '}');
	}
	mbuf_adds(b, "],\"model\":\"");
	mbuf_add(b, mapi_sb(c, &rs->model), rs->model.len);
	mbuf_add(b, "\",", 2);
	mapi_usage(c, b);
	mbuf_addc(b, '}');
	return (mapi_send_body(c, 200, "application/json"));
}

static int
mapi_send_models(struct mconn *c)
{
	struct mbuf	*b = &c->eb;
	int		 i;

	b->len = 0;
	mbuf_adds(b, "{\"object\":\"list\",\"data\":[");
	for (i = 0; mapi_models[i] != NULL; i++) {
		if (i > 0)
			mbuf_addc(b, ',');
		mbuf_adds(b, "{\"id\":\"");
		mbuf_adds(b, mapi_models[i]);
		mbuf_adds(b, "\",\"object\":\"model\",\"created\":1700000000,"
		    "\"owned_by\":\"llmux-mock\"}");
	}
	mbuf_adds(b, "]}");
	return (mapi_send_body(c, 200, "application/json"));
}

/* The non-stream answer, after any latency. */
static void
mapi_reply(struct mconn *c)
{
	struct mapi_resp	*rs = &c->rs;
	int			 rc;

	if (rs->d.status >= 400)
		rc = mapi_send_error(c, rs->d.status, NULL, 0);
	else if (rs->kind == MAPI_EMBED)
		rc = mapi_send_embeddings(c);
	else if (rs->kind == MAPI_MODELS)
		rc = mapi_send_models(c);
	else
		rc = mapi_send_completion(c);
	if (rc == 0)
		mapi_end(c, 0);
}

/* Content of stream chunk i: the i-th slice of content=, or "tok<i> ". */
static void
mapi_piece(const struct mconn *c, struct mbuf *b, int i)
{
	const struct mapi_dir	*d = &c->rs.d;
	const char		*s;
	size_t			 n, from, to;
	int			 k = c->rs.nchunks;

	if (!d->content.set) {
		mbuf_add(b, "tok", 3);
		mbuf_addu(b, i);
		mbuf_addc(b, ' ');
		return;
	}
	s = mapi_sb(c, &d->content);
	n = d->content.len;
	from = n * i / k;
	to = n * (i + 1) / k;
	/* Never cut a UTF-8 sequence in two. */
	while (from < n && ((unsigned char)s[from] & 0xc0) == 0x80)
		from++;
	while (to < n && ((unsigned char)s[to] & 0xc0) == 0x80)
		to++;
	if (to > from)
		mbuf_json(b, s + from, to - from);
}

/* The SSE event of stream step `step` into b. */
static void
mapi_event(struct mconn *c, struct mbuf *b, int step)
{
	struct mapi_resp	*rs = &c->rs;
	const char		*fr;
	size_t			 frl;
	int			 chat = rs->kind == MAPI_CHAT;

	mbuf_add(b, "data: ", 6);
	if (step == rs->nsteps - 1) {
		mbuf_add(b, "[DONE]\n\n", 8);
		return;
	}
	mapi_obj_head(c, b, chat ? "chat.completion.chunk" :
	    "text_completion");
	if (rs->d.stamp) {
		mbuf_adds(b, "\"mock_ts_ns\":");
		mbuf_addu(b, mapi_now_ns());
		mbuf_addc(b, ',');
	}
	if (step > rs->nchunks + 1) {
		mbuf_adds(b, "\"choices\":[],");
		mapi_usage(c, b);
		mbuf_add(b, "}\n\n", 3);
		return;
	}
	mbuf_adds(b, chat ? "\"choices\":[{\"index\":0,\"delta\":{" :
	    "\"choices\":[{\"index\":0,\"text\":\"");
	if (step == 0 && chat)
		mbuf_adds(b, "\"role\":\"assistant\",\"content\":\"\"");
	else if (step > 0 && step <= rs->nchunks) {
		if (chat)
			mbuf_adds(b, "\"content\":\"");
		mapi_piece(c, b, step - 1);
		if (chat)
			mbuf_addc(b, '"');
	}
	mbuf_adds(b, chat ? "},\"finish_reason\":" :
	    "\",\"logprobs\":null,\"finish_reason\":");
	if (step == rs->nchunks + 1) {
		fr = mapi_finish_reason(c, &frl);
		mbuf_addc(b, '"');
		mbuf_json(b, fr, frl);
		mbuf_addc(b, '"');
	} else
		mbuf_add(b, "null", 4);
	mbuf_add(b, "}]}\n\n", 5);
}

/* Frame n bytes at p as one HTTP chunk in c->ob. */
static void
mapi_chunk(struct mconn *c, const char *p, size_t n)
{
	mbuf_addx(&c->ob, n);
	mbuf_add(&c->ob, "\r\n", 2);
	mbuf_add(&c->ob, p, n);
	mbuf_add(&c->ob, "\r\n", 2);
}

static int
mapi_flush(struct mconn *c)
{
	int	 rc;

	if (c->ob.len == 0)
		return (0);
	rc = mhttp_send(c, c->ob.d, c->ob.len);
	c->ob.len = 0;
	return (rc);
}

/* Plan split=1 pieces of c->eb: 2 or 3 cuts at random offsets. */
static void
mapi_split_plan(struct mconn *c)
{
	struct mapi_resp	*rs = &c->rs;
	size_t			 len = c->eb.len, a, b, t;

	rs->piece = 0;
	rs->cut[0] = 0;
	if (len < 3) {
		rs->npieces = 1;
		rs->cut[1] = len;
		return;
	}
	a = 1 + mapi_random() % (len - 1);
	b = 1 + mapi_random() % (len - 1);
	if (a > b) {
		t = a;
		a = b;
		b = t;
	}
	rs->cut[1] = a;
	if (a == b) {
		rs->npieces = 2;
		rs->cut[2] = len;
	} else {
		rs->npieces = 3;
		rs->cut[2] = b;
		rs->cut[3] = len;
	}
}

/*
 * Emit stream events until a wait is due.  Events that follow each other
 * without a delay are batched into one write.
 */
static void
mapi_stream_run(struct mconn *c)
{
	struct mapi_resp	*rs = &c->rs;
	size_t			 from, to;
	int			 last_content;

	last_content = rs->d.break_after >= 0 &&
	    rs->d.break_after < rs->nchunks ? rs->d.break_after : rs->nchunks;
	for (;;) {
		if (rs->npieces > 0) {
			from = rs->cut[rs->piece];
			to = rs->cut[rs->piece + 1];
			mapi_chunk(c, c->eb.d + from, to - from);
			if (++rs->piece == rs->npieces)
				rs->npieces = 0;
			if (mapi_flush(c) == -1)
				return;
			mapi_timer(c, 1);
			return;
		}
		if (rs->d.break_after >= 0 && rs->step == 1 + last_content) {
			/* Cut the stream: no finish chunk, no terminator. */
			if (mapi_flush(c) == -1)
				return;
			mrec_stats.streams_broken++;
			mapi_end(c, 1);
			return;
		}
		if (rs->step == rs->nsteps) {
			mbuf_add(&c->ob, "0\r\n\r\n", 5);
			if (mapi_flush(c) == -1)
				return;
			mrec_stats.streams_completed++;
			mapi_end(c, 0);
			return;
		}
		if (rs->step > 0 && rs->d.chunk_delay_ms > 0 && !rs->delayed) {
			if (mapi_flush(c) == -1)
				return;
			rs->delayed = 1;
			mapi_timer(c, rs->d.chunk_delay_ms);
			return;
		}
		rs->delayed = 0;
		c->eb.len = 0;
		mapi_event(c, &c->eb, rs->step++);
		if (rs->d.split)
			mapi_split_plan(c);
		else
			mapi_chunk(c, c->eb.d, c->eb.len);
	}
}

/* Stream head, after the latency when headers_late=1. */
static int
mapi_stream_head(struct mconn *c)
{
	mapi_head(c, &c->ob, 200, "text/event-stream", -1);
	return (mapi_flush(c));
}

void
mapi_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mconn		*c = arg;
	struct mapi_resp	*rs = &c->rs;

	if (!rs->active)
		goto out;
	if (rs->state == MAPI_WAIT && !rs->stream)
		mapi_reply(c);
	else if (rs->state == MAPI_WAIT) {
		rs->state = MAPI_STREAM;
		if (rs->d.headers_late && mapi_stream_head(c) == -1)
			goto out;
		mapi_stream_run(c);
	} else if (rs->state == MAPI_STREAM)
		mapi_stream_run(c);
 out:
	mhttp_settle(c);
}

static void
mapi_admin(struct mconn *c, const struct mreq *rq, const char *path,
    size_t plen)
{
	struct mbuf	*b = &c->eb;
	int		 get, del;

	get = rq->mlen == 3 && memcmp(rq->method, "GET", 3) == 0;
	del = rq->mlen == 6 && memcmp(rq->method, "DELETE", 6) == 0;
	b->len = 0;
	if (mapi_ends_with(path, plen, "/_mock/requests") && get)
		mrec_dump(b);
	else if (mapi_ends_with(path, plen, "/_mock/requests") && del) {
		mbuf_adds(b, "{\"deleted\":");
		mbuf_addu(b, mrec_clear());
		mbuf_addc(b, '}');
	} else if (mapi_ends_with(path, plen, "/_mock/stats") && get)
		mrec_stats_json(b);
	else if (mapi_ends_with(path, plen, "/_mock/stats") && del) {
		mrec_stats_reset();
		mrec_stats_json(b);
	} else {
		(void)mapi_send_error(c, 404, "unknown mock endpoint", 21);
		mhttp_finish(c);
		return;
	}
	if (mapi_send_body(c, 200, "application/json") == 0)
		mhttp_finish(c);
}

/* Default model: the Azure deployment in the path, else "mock-model". */
static void
mapi_model(struct mconn *c, const struct mapi_scan *sc, const char *path,
    size_t plen)
{
	struct mapi_resp	*rs = &c->rs;
	const char		*p, *e = path + plen, *end;
	size_t			 off;

	if (sc->model != NULL) {
		/* Still JSON-escaped, which is what the answer needs. */
		mapi_str_put(c, &rs->model, sc->model, sc->model_len);
		return;
	}
	if ((p = memmem(path, plen, "/deployments/", 13)) != NULL) {
		p += 13;
		if ((end = memchr(p, '/', e - p)) == NULL)
			end = e;
		off = c->sb.len;
		mbuf_json(&c->sb, p, end - p);
		rs->model.off = off;
		rs->model.len = c->sb.len - off;
		rs->model.set = 1;
		return;
	}
	mapi_str_put(c, &rs->model, "mock-model", 10);
}

/* Words in the content, the default completion_tokens of an answer. */
static long
mapi_words(const struct mconn *c)
{
	const char	*s;
	size_t		 n, i;
	long		 w = 0;
	int		 in = 0;

	mapi_content(c, &s, &n);
	for (i = 0; i < n; i++) {
		if (s[i] == ' ' || s[i] == '\n' || s[i] == '\t')
			in = 0;
		else if (!in) {
			in = 1;
			w++;
		}
	}
	return (w);
}

/* Figures of the answer: id, usage, stream steps. */
static void
mapi_prepare(struct mconn *c, const struct mreq *rq)
{
	struct mapi_resp	*rs = &c->rs;
	long			 p;

	rs->id = ++mapi_ids;
	rs->created = (long)time(NULL);
	p = (long)(rq->blen / 4);
	if (p < 1)
		p = 1;
	if (p > MAPI_MAX_PTOK)
		p = MAPI_MAX_PTOK;
	rs->ptok = rs->d.prompt_tokens >= 0 ? rs->d.prompt_tokens : p;
	rs->nchunks = (int)rs->d.chunks;
	if (rs->kind == MAPI_EMBED)
		rs->ctok = 0;
	else if (rs->d.completion_tokens >= 0)
		rs->ctok = rs->d.completion_tokens;
	else
		rs->ctok = rs->stream ? rs->nchunks : mapi_words(c);
	/* role, content..., finish, [usage], [DONE] */
	rs->nsteps = rs->nchunks + 3 + (rs->include_usage ? 1 : 0);
	rs->step = 0;
	rs->delayed = 0;
	rs->npieces = 0;
}

void
mapi_dispatch(struct mconn *c, const struct mreq *rq)
{
	struct mapi_resp	*rs = &c->rs;
	struct mapi_scan	 sc;
	const char		*path = rq->target, *q;
	size_t			 plen = rq->tlen;

	if ((q = memchr(path, '?', plen)) != NULL)
		plen = q - path;
	mapi_dir_reset(&rs->d);
	c->sb.len = 0;
	if (plen >= 7 && memcmp(path, "/_mock/", 7) == 0) {
		mapi_admin(c, rq, path, plen);
		return;
	}
	mrec_stats.requests++;
	if (mock_opt.record || mock_opt.logfd != -1)
		mrec_add(rq);
	rs->kind = mapi_route(rq, path, plen);
	if (rs->kind == MAPI_NONE) {
		if (mapi_send_error(c, 404, "no such route", 13) == 0)
			mhttp_finish(c);
		return;
	}
	memset(&sc, 0, sizeof(sc));
	sc.ninput = 1;
	if (rs->kind != MAPI_MODELS &&
	    mapi_scan(rq->body, rq->blen, &sc, 0) == -1) {
		if (mapi_send_error(c, 400, "We could not parse the JSON body "
		    "of your request.", 49) == 0)
			mhttp_finish(c);
		return;
	}
	if (rs->kind == MAPI_CHAT)
		mrec_stats.chat++;
	mapi_dir_collect(c, rq, path, plen);
	rs->stream = sc.stream && (rs->kind == MAPI_CHAT ||
	    rs->kind == MAPI_TEXT) && rs->d.status < 400;
	rs->include_usage = sc.include_usage;
	rs->b64 = sc.b64;
	rs->ninput = sc.ninput;
	mapi_model(c, &sc, path, plen);
	mapi_prepare(c, rq);
	mapi_begin(c);

	if (rs->d.hang) {
		rs->stream = 0;		/* never started, so never aborted */
		rs->state = MAPI_HANG;
		mrec_stats.hung++;
		mrec_stats.hung_open++;
		return;
	}
	if (rs->stream) {
		mrec_stats.streams_started++;
		if (!rs->d.headers_late && mapi_stream_head(c) == -1)
			return;
	}
	if (rs->d.latency_ms > 0) {
		rs->state = MAPI_WAIT;
		mapi_timer(c, rs->d.latency_ms);
		return;
	}
	if (!rs->stream) {
		mapi_reply(c);
		return;
	}
	rs->state = MAPI_STREAM;
	if (rs->d.headers_late && mapi_stream_head(c) == -1)
		return;
	mapi_stream_run(c);
}
