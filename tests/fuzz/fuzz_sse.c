/*
 * libFuzzer entry for SSE reassembly: the input fed whole and fed in two
 * pieces at a cut chosen by its first byte must give the same events.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stream.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct sum {
	uint64_t	h;
	unsigned	n;
};

static int
ev(void *arg, const char *d, size_t n)
{
	struct sum	*s = arg;
	size_t		 i;

	for (i = 0; i < n; i++)
		s->h = (s->h ^ (unsigned char)d[i]) * 1099511628211ULL;
	s->h ^= 0xff;
	s->n++;
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strm	 a, b;
	struct sum	 sa = { 0, 0 }, sb = { 0, 0 };
	size_t		 cut;
	int		 ra, rb;

	if (size < 1)
		return (0);
	cut = 1 + data[0] % size;
	strm_init(&a);
	strm_init(&b);
	ra = strm_feed(&a, (const char *)data + 1, size - 1, ev, &sa);
	rb = strm_feed(&b, (const char *)data + 1, cut - 1, ev, &sb);
	if (rb == 0)
		rb = strm_feed(&b, (const char *)data + cut, size - cut, ev,
		    &sb);
	if (ra == 0 && rb == 0 && (sa.h != sb.h || sa.n != sb.n ||
	    a.done != b.done))
		abort();
	strm_free(&a);
	strm_free(&b);
	return (0);
}
