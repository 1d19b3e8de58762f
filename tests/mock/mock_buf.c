/*
 * mock_buf.c: the growable byte buffer every answer is built in.
 *
 * A connection keeps its buffers between requests and only resets their
 * length, so after the first few requests an answer costs no allocation.
 * The appenders are deliberately dumb (no printf) because they sit on the
 * benchmark's hot path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"

#define MBUF_FIRST	512

void
mbuf_grow(struct mbuf *b, size_t n)
{
	size_t	 cap;
	char	*d;

	cap = b->cap != 0 ? b->cap : MBUF_FIRST;
	while (cap - b->len < n) {
		if (cap > SIZE_MAX / 2)
			mock_fatal("buffer too large");
		cap *= 2;
	}
	if ((d = realloc(b->d, cap)) == NULL)
		mock_fatal("out of memory");
	b->d = d;
	b->cap = cap;
}

void
mbuf_free(struct mbuf *b)
{
	free(b->d);
	b->d = NULL;
	b->len = b->cap = 0;
}

void
mbuf_addu(struct mbuf *b, uint64_t v)
{
	char	 tmp[24];
	size_t	 i = sizeof(tmp);

	do {
		tmp[--i] = '0' + v % 10;
		v /= 10;
	} while (v != 0);
	mbuf_add(b, tmp + i, sizeof(tmp) - i);
}

void
mbuf_addi(struct mbuf *b, int64_t v)
{
	if (v < 0) {
		mbuf_addc(b, '-');
		/* Negate in unsigned arithmetic so INT64_MIN is defined. */
		mbuf_addu(b, -(uint64_t)v);
	} else
		mbuf_addu(b, (uint64_t)v);
}

void
mbuf_addx(struct mbuf *b, size_t v)
{
	static const char	 hex[] = "0123456789abcdef";
	char			 tmp[2 * sizeof(size_t)];
	size_t			 i = sizeof(tmp);

	do {
		tmp[--i] = hex[v & 0xf];
		v >>= 4;
	} while (v != 0);
	mbuf_add(b, tmp + i, sizeof(tmp) - i);
}

/*
 * Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when the
 * bytes there are not one.  Overlong forms and surrogates count as invalid
 * so that whatever we emit parses in strict JSON readers.
 */
static size_t
mbuf_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char	 c = s[0];
	size_t		 len, i;
	unsigned char	 lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return (0);
	if (len > n)
		return (0);
	if (s[1] < lo || s[1] > hi)
		return (0);
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return (0);
	return (len);
}

void
mbuf_json(struct mbuf *b, const char *str, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*s = (const unsigned char *)str;
	const unsigned char	*e = s + n, *run;
	size_t			 u;

	while (s < e) {
		/* Copy plain ASCII runs in one go; most text is one run. */
		run = s;
		while (s < e && *s >= 0x20 && *s < 0x80 && *s != '"' &&
		    *s != '\\')
			s++;
		mbuf_add(b, run, s - run);
		if (s == e)
			break;
		switch (*s) {
		case '"':
			mbuf_add(b, "\\\"", 2);
			break;
		case '\\':
			mbuf_add(b, "\\\\", 2);
			break;
		case '\n':
			mbuf_add(b, "\\n", 2);
			break;
		case '\r':
			mbuf_add(b, "\\r", 2);
			break;
		case '\t':
			mbuf_add(b, "\\t", 2);
			break;
		default:
			if (*s < 0x20) {
				mbuf_add(b, "\\u00", 4);
				mbuf_addc(b, hex[*s >> 4]);
				mbuf_addc(b, hex[*s & 0xf]);
				break;
			}
			if ((u = mbuf_utf8_len(s, e - s)) == 0) {
				mbuf_add(b, "\\ufffd", 6);
				break;
			}
			mbuf_add(b, s, u);
			s += u;
			continue;
		}
		s++;
	}
}

void
mbuf_b64(struct mbuf *b, const void *p, size_t n)
{
	static const char	 tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char	*s = p;
	uint32_t		 v;
	size_t			 i;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		mbuf_addc(b, tab[v >> 18]);
		mbuf_addc(b, tab[(v >> 12) & 63]);
		mbuf_addc(b, tab[(v >> 6) & 63]);
		mbuf_addc(b, tab[v & 63]);
	}
	if (n - i == 1) {
		v = (uint32_t)s[i] << 16;
		mbuf_addc(b, tab[v >> 18]);
		mbuf_addc(b, tab[(v >> 12) & 63]);
		mbuf_add(b, "==", 2);
	} else if (n - i == 2) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
		mbuf_addc(b, tab[v >> 18]);
		mbuf_addc(b, tab[(v >> 12) & 63]);
		mbuf_addc(b, tab[(v >> 6) & 63]);
		mbuf_addc(b, '=');
	}
}
