/*
 * SSE reassembly: the same stream cut at every possible place, and at
 * random places, must deliver the same events in the same order.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "stream.h"

struct collect {
	char	buf[8192];
	size_t	len;
	int	n;
};

static int
collect_ev(void *arg, const char *d, size_t n)
{
	struct collect	*c = arg;

	cr_assert_lt(c->len + n + 1, sizeof(c->buf));
	memcpy(c->buf + c->len, d, n);
	c->len += n;
	c->buf[c->len++] = '|';
	c->n++;
	return (0);
}

static const char stream_text[] =
    "data: {\"a\":1}\n\n"
    ": keep-alive comment\n\n"
    "event: message\r\ndata: {\"b\":2}\r\n\r\n"
    "data: line1\ndata: line2\n\n"
    "id: 7\ndata:{\"c\":3}\n\n"
    "data: [DONE]\n\n";

static const char expect[] = "{\"a\":1}|{\"b\":2}|line1\nline2|{\"c\":3}|";

static void
feed_split(const size_t *cuts, size_t ncuts, struct collect *c,
    struct strm *s)
{
	size_t	prev = 0, i, len = strlen(stream_text);

	for (i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;

		cr_assert_eq(strm_feed(s, stream_text + prev, end - prev,
		    collect_ev, c), 0);
		prev = end;
	}
}

Test(stream, whole_stream_in_one_piece)
{
	struct strm	s;
	struct collect	c = { .len = 0 };

	strm_init(&s);
	feed_split(NULL, 0, &c, &s);
	c.buf[c.len] = '\0';
	cr_assert_str_eq(c.buf, expect);
	cr_assert_eq(c.n, 4);
	cr_assert(s.done, "[DONE] must be recognised");
	strm_free(&s);
}

Test(stream, every_single_cut)
{
	size_t	len = strlen(stream_text), cut;

	for (cut = 1; cut < len; cut++) {
		struct strm	s;
		struct collect	c = { .len = 0 };

		strm_init(&s);
		feed_split(&cut, 1, &c, &s);
		c.buf[c.len] = '\0';
		cr_assert_str_eq(c.buf, expect, "cut at %zu", cut);
		cr_assert(s.done);
		strm_free(&s);
	}
}

Test(stream, byte_by_byte_and_random_splits)
{
	size_t	len = strlen(stream_text), cuts[64], n, i, round;

	srand(12345);
	for (round = 0; round < 500; round++) {
		struct strm	s;
		struct collect	c = { .len = 0 };

		if (round == 0) {
			/* one byte at a time */
			for (n = 0; n + 1 < len && n < LX_NELEM(cuts); n++)
				cuts[n] = n + 1;
			n = len - 1 < LX_NELEM(cuts) ? len - 1 :
			    LX_NELEM(cuts);
		} else {
			n = (size_t)rand() % 12;
			for (i = 0; i < n; i++)
				cuts[i] = 1 + (size_t)rand() % (len - 1);
			/* sort */
			for (i = 1; i < n; i++) {
				size_t k = cuts[i], j = i;

				while (j > 0 && cuts[j - 1] > k) {
					cuts[j] = cuts[j - 1];
					j--;
				}
				cuts[j] = k;
			}
		}
		strm_init(&s);
		feed_split(cuts, n, &c, &s);
		c.buf[c.len] = '\0';
		if (round == 0) {
			/* the first 64 bytes singly, the rest at once */
			cr_assert_str_eq(c.buf, expect);
		} else
			cr_assert_str_eq(c.buf, expect, "round %zu", round);
		strm_free(&s);
	}
}

Test(stream, incomplete_event_is_held_back)
{
	struct strm	s;
	struct collect	c = { .len = 0 };

	strm_init(&s);
	cr_assert_eq(strm_feed(&s, "data: {\"x\":1}\n", 14, collect_ev, &c),
	    0);
	cr_assert_eq(c.n, 0, "no blank line yet: no event");
	cr_assert_eq(strm_feed(&s, "\n", 1, collect_ev, &c), 0);
	cr_assert_eq(c.n, 1);
	strm_free(&s);
}

static int
stop_ev(void *arg, const char *d, size_t n)
{
	return (-1);
}

Test(stream, callback_can_stop)
{
	struct strm	s;

	strm_init(&s);
	cr_assert_neq(strm_feed(&s, "data: 1\n\n", 9, stop_ev, NULL), 0);
	strm_free(&s);
}

Test(stream, oversized_event_is_refused)
{
	struct strm	 s;
	struct collect	 c = { .len = 0 };
	size_t		 n = STRM_MAXEVENT + 10;
	char		*big = malloc(n);

	cr_assert_not_null(big);
	memset(big, 'a', n);
	memcpy(big, "data: ", 6);
	strm_init(&s);
	cr_assert_neq(strm_feed(&s, big, n, collect_ev, &c), 0);
	strm_free(&s);
	free(big);
}
