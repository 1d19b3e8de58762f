/*
 * mock_rec.c: what the tests read back: recorded requests and counters.
 *
 * Each request (except /_mock/ ones) is rendered once into a JSON object,
 * which goes both to the --log file (one line each) and, unless
 * --no-record, into a ring of the last MOCK_RECMAX requests that
 * GET /_mock/requests prints oldest first.  The ring owns its strings; they
 * are freed when evicted, by DELETE /_mock/requests and by mrec_free() at
 * exit.  Bodies are cut at MOCK_RECBODY bytes on a UTF-8 boundary.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "mock.h"

struct mrec_ent {
	char	*s;
	size_t	 len;
};

struct mrec_stats	 mrec_stats;

static struct mrec_ent	 mrec_ring[MOCK_RECMAX];
static size_t		 mrec_first;	/* oldest entry */
static size_t		 mrec_count;
static struct mbuf	 mrec_line;	/* scratch, reused */

static int
mrec_same_name(const struct mreq *rq, const struct mhttp_hdr *a,
    const struct mhttp_hdr *b)
{
	return (a->nlen == b->nlen &&
	    strncasecmp(rq->base + a->name, rq->base + b->name, a->nlen) == 0);
}

static void
mrec_headers(struct mbuf *b, const struct mreq *rq)
{
	const struct mhttp_hdr	*h, *o;
	char			 lower[256];
	unsigned int		 i, j, k, first = 1;

	mbuf_addc(b, '{');
	for (i = 0; i < rq->nhdr; i++) {
		h = &rq->hdr[i];
		/* A repeated header is printed once, values joined by ", ". */
		for (j = 0; j < i; j++) {
			o = &rq->hdr[j];
			if (mrec_same_name(rq, o, h))
				break;
		}
		if (j < i)
			continue;
		if (!first)
			mbuf_addc(b, ',');
		first = 0;
		mbuf_addc(b, '"');
		if (h->nlen <= sizeof(lower)) {
			for (k = 0; k < h->nlen; k++) {
				lower[k] = rq->base[h->name + k];
				if (lower[k] >= 'A' && lower[k] <= 'Z')
					lower[k] += 'a' - 'A';
			}
			mbuf_json(b, lower, h->nlen);
		} else
			mbuf_json(b, rq->base + h->name, h->nlen);
		mbuf_add(b, "\":\"", 3);
		mbuf_json(b, rq->base + h->val, h->vlen);
		for (j = i + 1; j < rq->nhdr; j++) {
			o = &rq->hdr[j];
			if (mrec_same_name(rq, o, h)) {
				mbuf_add(b, ", ", 2);
				mbuf_json(b, rq->base + o->val, o->vlen);
			}
		}
		mbuf_addc(b, '"');
	}
	mbuf_addc(b, '}');
}

static void
mrec_render(struct mbuf *b, const struct mreq *rq)
{
	struct timespec	 ts;
	size_t		 blen = rq->blen;
	int		 cut = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (blen > MOCK_RECBODY) {
		blen = MOCK_RECBODY;
		while (blen > 0 &&
		    ((unsigned char)rq->body[blen] & 0xc0) == 0x80)
			blen--;
		cut = 1;
	}
	mbuf_adds(b, "{\"method\":\"");
	mbuf_json(b, rq->method, rq->mlen);
	mbuf_adds(b, "\",\"path\":\"");
	mbuf_json(b, rq->target, rq->tlen);
	mbuf_adds(b, "\",\"headers\":");
	mrec_headers(b, rq);
	mbuf_adds(b, ",\"body\":\"");
	mbuf_json(b, rq->body, blen);
	mbuf_addc(b, '"');
	if (cut)
		mbuf_adds(b, ",\"body_truncated\":true");
	mbuf_adds(b, ",\"t_ns\":");
	mbuf_addu(b, (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec);
	mbuf_addc(b, '}');
}

void
mrec_add(const struct mreq *rq)
{
	struct mrec_ent	*e;
	const char	*p;
	size_t		 n;
	ssize_t		 w;

	mrec_line.len = 0;
	mrec_render(&mrec_line, rq);
	if (mock_opt.record) {
		if (mrec_count == MOCK_RECMAX) {
			e = &mrec_ring[mrec_first];
			free(e->s);
			mrec_first = (mrec_first + 1) % MOCK_RECMAX;
			mrec_count--;
		}
		e = &mrec_ring[(mrec_first + mrec_count) % MOCK_RECMAX];
		if ((e->s = malloc(mrec_line.len)) == NULL)
			mock_fatal("out of memory");
		memcpy(e->s, mrec_line.d, mrec_line.len);
		e->len = mrec_line.len;
		mrec_count++;
	}
	if (mock_opt.logfd == -1)
		return;
	/* One write per line keeps lines whole with several workers. */
	mbuf_addc(&mrec_line, '\n');
	for (p = mrec_line.d, n = mrec_line.len; n > 0; p += w, n -= w) {
		if ((w = write(mock_opt.logfd, p, n)) == -1) {
			if (errno == EINTR) {
				w = 0;
				continue;
			}
			break;		/* a full disk must not stop the mock */
		}
	}
}

void
mrec_dump(struct mbuf *b)
{
	const struct mrec_ent	*e;
	size_t			 i;

	mbuf_addc(b, '[');
	for (i = 0; i < mrec_count; i++) {
		e = &mrec_ring[(mrec_first + i) % MOCK_RECMAX];
		if (i > 0)
			mbuf_addc(b, ',');
		mbuf_add(b, e->s, e->len);
	}
	mbuf_addc(b, ']');
}

size_t
mrec_clear(void)
{
	size_t	 i, n = mrec_count;

	for (i = 0; i < mrec_count; i++) {
		free(mrec_ring[(mrec_first + i) % MOCK_RECMAX].s);
		mrec_ring[(mrec_first + i) % MOCK_RECMAX].s = NULL;
	}
	mrec_first = mrec_count = 0;
	return (n);
}

void
mrec_free(void)
{
	(void)mrec_clear();
	mbuf_free(&mrec_line);
}

static void
mrec_field(struct mbuf *b, const char *name, int64_t v, int first)
{
	if (!first)
		mbuf_addc(b, ',');
	mbuf_addc(b, '"');
	mbuf_adds(b, name);
	mbuf_add(b, "\":", 2);
	mbuf_addi(b, v);
}

void
mrec_stats_json(struct mbuf *b)
{
	const struct mrec_stats	*s = &mrec_stats;

	mbuf_addc(b, '{');
	mrec_field(b, "requests", s->requests, 1);
	mrec_field(b, "chat", s->chat, 0);
	mrec_field(b, "streams_started", s->streams_started, 0);
	mrec_field(b, "streams_completed", s->streams_completed, 0);
	mrec_field(b, "streams_aborted", s->streams_aborted, 0);
	mrec_field(b, "in_flight", s->in_flight, 0);
	mrec_field(b, "hung", s->hung, 0);
	mrec_field(b, "hung_open", s->hung_open, 0);
	mrec_field(b, "streams_broken", s->streams_broken, 0);
	mrec_field(b, "aborted", s->aborted, 0);
	mrec_field(b, "recorded", mrec_count, 0);
	mrec_field(b, "pid", getpid(), 0);
	mbuf_addc(b, '}');
}

void
mrec_stats_reset(void)
{
	int64_t	 in_flight = mrec_stats.in_flight;
	int64_t	 hung_open = mrec_stats.hung_open;

	memset(&mrec_stats, 0, sizeof(mrec_stats));
	mrec_stats.in_flight = in_flight;
	mrec_stats.hung_open = hung_open;
}
