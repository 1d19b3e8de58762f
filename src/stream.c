/*
 * stream.c: SSE reassembly for upstream streams.
 *
 * An event ends at the first blank line ("\n\n", "\r\n\r\n" or "\r\r").  Bytes
 * that do not yet form a whole event wait in s->buf; the search for the
 * boundary resumes where the last one stopped, so a long event arriving in
 * many small pieces is scanned once, not once per piece.
 */
#include <stdlib.h>
#include <string.h>

#include "stream.h"

void
strm_init(struct strm *s)
{
	memset(s, 0, sizeof(*s));
}

void
strm_free(struct strm *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

/* Length of the end-of-event marker at p[i], or 0. */
static size_t
strm_boundary(const char *p, size_t n, size_t i)
{
	if (p[i] == '\n') {
		if (i + 1 < n && p[i + 1] == '\n')
			return (2);
		if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n')
			return (3);
	} else if (p[i] == '\r') {
		if (i + 3 < n && p[i + 1] == '\n' && p[i + 2] == '\r' &&
		    p[i + 3] == '\n')
			return (4);
		if (i + 1 < n && p[i + 1] == '\r')
			return (2);
	}
	return (0);
}

/*
 * Deliver one event (without its terminator).  Only "data" fields matter
 * to chat streams; "event:", "id:", "retry:" and comments are dropped, and
 * several data lines are joined with '\n' as the SSE spec says.
 */
static int
strm_event(struct strm *s, char *ev, size_t n, strm_event_fn *fn, void *arg)
{
	char	*line = ev, *end = ev + n, *eol, *d = ev;
	size_t	 dl = 0;
	int	 have = 0;

	while (line < end) {
		for (eol = line; eol < end && *eol != '\n' && *eol != '\r';
		    eol++)
			;
		if (eol - line >= 5 && memcmp(line, "data:", 5) == 0) {
			char	*v = line + 5;

			if (v < eol && *v == ' ')
				v++;
			if (have)
				d[dl++] = '\n';
			/* Compact in place: data only moves left. */
			memmove(d + dl, v, (size_t)(eol - v));
			dl += (size_t)(eol - v);
			have = 1;
		}
		line = eol;
		if (line < end && *line == '\r')
			line++;
		if (line < end && *line == '\n')
			line++;
	}
	if (!have)
		return (LX_OK);
	s->events++;
	if (dl == 6 && memcmp(d, "[DONE]", 6) == 0) {
		s->done = 1;
		return (LX_OK);
	}
	return (fn(arg, d, dl));
}

int
strm_feed(struct strm *s, const char *p, size_t n, strm_event_fn *fn,
    void *arg)
{
	size_t	 i, b, start;
	char	*nb;

	/* Events are small: copying keeps one code path for split input. */
	if (s->len + n > s->cap) {
		size_t	ncap = s->cap ? s->cap : 4096;

		while (ncap < s->len + n)
			ncap *= 2;
		if (ncap > STRM_MAXEVENT * 2 ||
		    (nb = realloc(s->buf, ncap)) == NULL)
			return (LX_ERR);
		s->buf = nb;
		s->cap = ncap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;

	start = 0;
	/* Back up so a marker split across two feeds is still found. */
	i = s->scan > 3 ? s->scan - 3 : 0;
	for (; i < s->len; i++) {
		if (s->buf[i] != '\n' && s->buf[i] != '\r')
			continue;
		if ((b = strm_boundary(s->buf, s->len, i)) == 0)
			continue;
		if (strm_event(s, s->buf + start, i - start, fn, arg) !=
		    LX_OK)
			return (LX_ERR);
		i += b - 1;
		start = i + 1;
	}
	if (start > 0) {
		memmove(s->buf, s->buf + start, s->len - start);
		s->len -= start;
	}
	s->scan = s->len;
	if (s->len > STRM_MAXEVENT)
		return (LX_ERR);
	return (LX_OK);
}
