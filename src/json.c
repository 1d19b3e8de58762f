/*
 * json.c: validating scanner for JSON text (RFC 8259).
 *
 * The scanner walks the text once with an explicit depth limit; it does
 * not allocate.  Only the top level of the object being scanned is
 * recorded; js_object() may be called again on a nested object's bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "json.h"

struct js_scan {
	const char	*p, *end;
	int		 depth;
};

static int	js_value(struct js_scan *, enum js_type *);

static void
js_ws(struct js_scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

int
js_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/*
 * Eight bytes at a time: does the word hold a '"', a '\\' or a control
 * byte?  (The classic "has zero byte" test; a borrow may flag a byte
 * after a real hit, never miss one, and the caller then goes byte by
 * byte.)  Prompts are mostly long plain strings: this is their cost.
 */
#define JS_ONES		0x0101010101010101ULL
#define JS_HIGHS	0x8080808080808080ULL

static inline uint64_t
js_special8(uint64_t w)
{
	uint64_t	q = w ^ (JS_ONES * '"'), b = w ^ (JS_ONES * '\\');

	return (((q - JS_ONES) & ~q) | ((b - JS_ONES) & ~b) |
	    ((w - JS_ONES * 0x20) & ~w)) & JS_HIGHS;
}

static int
js_str(struct js_scan *s)
{
	uint64_t	w;
	int		i;

	if (s->p >= s->end || *s->p != '"')
		return (LX_ERR);
	s->p++;
	while (s->p < s->end) {
		while (s->end - s->p >= 8) {
			memcpy(&w, s->p, 8);
			if (js_special8(w) != 0)
				break;
			s->p += 8;
		}
		if (s->p >= s->end)
			break;
		unsigned char c = (unsigned char)*s->p;

		/* Fast path: plain bytes dominate prompts. */
		if (c != '"' && c != '\\' && c >= 0x20) {
			s->p++;
			continue;
		}
		if (c == '"') {
			s->p++;
			return (LX_OK);
		}
		if (c < 0x20)
			return (LX_ERR);
		if (++s->p >= s->end)
			return (LX_ERR);
		switch (*s->p) {
		case '"': case '\\': case '/': case 'b': case 'f':
		case 'n': case 'r': case 't':
			s->p++;
			break;
		case 'u':
			if (s->end - s->p < 5)
				return (LX_ERR);
			for (i = 1; i <= 4; i++)
				if (js_hexval(s->p[i]) < 0)
					return (LX_ERR);
			s->p += 5;
			break;
		default:
			return (LX_ERR);
		}
	}
	return (LX_ERR);
}

static int
js_num(struct js_scan *s)
{
	const char	*st = s->p;

	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p >= s->end)
		return (LX_ERR);
	if (*s->p == '0')
		s->p++;
	else if (*s->p >= '1' && *s->p <= '9')
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	else
		return (LX_ERR);
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return (LX_ERR);
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return (LX_ERR);
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	return (s->p > st ? LX_OK : LX_ERR);
}

static int
js_lit(struct js_scan *s, const char *lit)
{
	size_t	n = strlen(lit);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
		return (LX_ERR);
	s->p += n;
	return (LX_OK);
}

/* After a member or element: 1 on ',', 0 on the closing bracket. */
static int
js_sep(struct js_scan *s, char close)
{
	js_ws(s);
	if (s->p >= s->end)
		return (LX_ERR);
	if (*s->p == ',') {
		s->p++;
		return (1);
	}
	if (*s->p == close) {
		s->p++;
		return (0);
	}
	return (LX_ERR);
}

/*
 * Scan an object; when m != NULL record its members (this is the top
 * level of js_object).
 */
static int
js_obj(struct js_scan *s, struct js_mem *m, size_t max, size_t *count)
{
	const char	*k, *v;
	enum js_type	 t;
	size_t		 n = 0, klen;
	int		 rc;

	if (++s->depth > JS_MAXDEPTH)
		return (LX_ERR);
	s->p++;		/* '{' */
	js_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		goto done;
	}
	for (;;) {
		js_ws(s);
		k = s->p;
		if (js_str(s) != LX_OK)
			return (LX_ERR);
		klen = (size_t)(s->p - k) - 2;	/* without the quotes */
		js_ws(s);
		if (s->p >= s->end || *s->p != ':')
			return (LX_ERR);
		s->p++;
		js_ws(s);
		v = s->p;
		if (js_value(s, &t) != LX_OK)
			return (LX_ERR);
		if (m != NULL && n < max) {
			m[n].key = k + 1;
			m[n].klen = klen;
			m[n].val = v;
			m[n].vlen = (size_t)(s->p - v);
			m[n].type = t;
		}
		n++;
		if ((rc = js_sep(s, '}')) == LX_ERR)
			return (LX_ERR);
		if (rc == 0)
			break;
	}
 done:
	s->depth--;
	if (count != NULL)
		*count = n;
	return (LX_OK);
}

static int
js_arr(struct js_scan *s)
{
	enum js_type	t;
	int		rc;

	if (++s->depth > JS_MAXDEPTH)
		return (LX_ERR);
	s->p++;		/* '[' */
	js_ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		s->depth--;
		return (LX_OK);
	}
	for (;;) {
		js_ws(s);
		if (js_value(s, &t) != LX_OK)
			return (LX_ERR);
		if ((rc = js_sep(s, ']')) == LX_ERR)
			return (LX_ERR);
		if (rc == 0)
			break;
	}
	s->depth--;
	return (LX_OK);
}

static int
js_value(struct js_scan *s, enum js_type *t)
{
	if (s->p >= s->end)
		return (LX_ERR);
	switch (*s->p) {
	case '{':
		*t = JS_OBJ;
		return (js_obj(s, NULL, 0, NULL));
	case '[':
		*t = JS_ARR;
		return (js_arr(s));
	case '"':
		*t = JS_STR;
		return (js_str(s));
	case 't':
		*t = JS_TRUE;
		return (js_lit(s, "true"));
	case 'f':
		*t = JS_FALSE;
		return (js_lit(s, "false"));
	case 'n':
		*t = JS_NULL;
		return (js_lit(s, "null"));
	default:
		*t = JS_NUM;
		return (js_num(s));
	}
}

int
js_object(const char *p, size_t n, struct js_mem *m, size_t max,
    size_t *count, size_t *total, size_t *errpos)
{
	struct js_scan	s = { p, p + n, 0 };
	size_t		c = 0;

	*count = 0;
	if (total != NULL)
		*total = 0;
	js_ws(&s);
	if (s.p >= s.end || *s.p != '{')
		goto fail;
	if (js_obj(&s, m, max, &c) != LX_OK)
		goto fail;
	js_ws(&s);
	if (s.p != s.end)
		goto fail;
	*count = c < max ? c : max;
	if (total != NULL)
		*total = c;
	return (LX_OK);
 fail:
	if (errpos != NULL)
		*errpos = (size_t)(s.p - p);
	return (LX_ERR);
}

int
js_valid(const char *p, size_t n)
{
	struct js_scan	s = { p, p + n, 0 };
	enum js_type	t;

	js_ws(&s);
	if (js_value(&s, &t) != LX_OK)
		return (LX_ERR);
	js_ws(&s);
	return (s.p == s.end ? LX_OK : LX_ERR);
}

const struct js_mem *
js_find(const struct js_mem *m, size_t n, const char *key)
{
	size_t	i, kl = strlen(key);

	/* Last one wins, as in every JSON parser the clients use. */
	for (i = n; i-- > 0; )
		if (m[i].klen == kl && memcmp(m[i].key, key, kl) == 0)
			return (&m[i]);
	return (NULL);
}

static size_t
js_utf8(char *d, unsigned long cp)
{
	if (cp < 0x80) {
		d[0] = (char)cp;
		return (1);
	}
	if (cp < 0x800) {
		d[0] = (char)(0xc0 | (cp >> 6));
		d[1] = (char)(0x80 | (cp & 0x3f));
		return (2);
	}
	if (cp < 0x10000) {
		d[0] = (char)(0xe0 | (cp >> 12));
		d[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		d[2] = (char)(0x80 | (cp & 0x3f));
		return (3);
	}
	d[0] = (char)(0xf0 | (cp >> 18));
	d[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	d[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	d[3] = (char)(0x80 | (cp & 0x3f));
	return (4);
}

static long
js_u4(const char *p)
{
	long	v = 0;
	int	i, h;

	for (i = 0; i < 4; i++) {
		if ((h = js_hexval(p[i])) < 0)
			return (-1);
		v = v * 16 + h;
	}
	return (v);
}

char *
js_string(struct arena *a, const char *val, size_t vlen)
{
	const char	*p, *end;
	char		*out, *d;
	long		 cp, lo;

	if (vlen < 2 || val[0] != '"' || val[vlen - 1] != '"')
		return (NULL);
	p = val + 1;
	end = val + vlen - 1;
	if ((out = ar_alloc(a, vlen)) == NULL)
		return (NULL);
	for (d = out; p < end; ) {
		if (*p != '\\') {
			*d++ = *p++;
			continue;
		}
		if (++p >= end)
			return (NULL);
		switch (*p++) {
		case '"':	*d++ = '"'; break;
		case '\\':	*d++ = '\\'; break;
		case '/':	*d++ = '/'; break;
		case 'b':	*d++ = '\b'; break;
		case 'f':	*d++ = '\f'; break;
		case 'n':	*d++ = '\n'; break;
		case 'r':	*d++ = '\r'; break;
		case 't':	*d++ = '\t'; break;
		case 'u':
			if (end - p < 4 || (cp = js_u4(p)) < 0)
				return (NULL);
			p += 4;
			/* A surrogate pair is two escapes. */
			if (cp >= 0xd800 && cp <= 0xdbff && end - p >= 6 &&
			    p[0] == '\\' && p[1] == 'u' &&
			    (lo = js_u4(p + 2)) >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			} else if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;
			/* \u0000 would cut a C string: replace it. */
			if (cp == 0)
				cp = 0xfffd;
			d += js_utf8(d, (unsigned long)cp);
			break;
		default:
			return (NULL);
		}
	}
	*d = '\0';
	return (out);
}

size_t
js_quote_into(char *dst, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	char			*d = dst;
	size_t			 i;

	*d++ = '"';
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"':	*d++ = '\\'; *d++ = '"'; break;
		case '\\':	*d++ = '\\'; *d++ = '\\'; break;
		case '\n':	*d++ = '\\'; *d++ = 'n'; break;
		case '\r':	*d++ = '\\'; *d++ = 'r'; break;
		case '\t':	*d++ = '\\'; *d++ = 't'; break;
		default:
			if (c < 0x20) {
				*d++ = '\\'; *d++ = 'u'; *d++ = '0';
				*d++ = '0'; *d++ = hex[c >> 4];
				*d++ = hex[c & 15];
			} else
				*d++ = (char)c;
		}
	}
	*d++ = '"';
	*d = '\0';
	return ((size_t)(d - dst));
}

char *
js_quote(struct arena *a, const char *s)
{
	size_t	 len;
	char	*d;

	if (s == NULL)
		return (ar_strdup(a, "null"));
	len = strlen(s);
	if ((d = ar_alloc(a, len * 6 + 3)) == NULL)
		return (NULL);
	js_quote_into(d, s, len);
	return (d);
}

int
js_number(const struct js_mem *m, double *out)
{
	char	buf[64], *end;

	if (m == NULL || m->type != JS_NUM || m->vlen >= sizeof(buf))
		return (LX_ERR);
	memcpy(buf, m->val, m->vlen);
	buf[m->vlen] = '\0';
	*out = strtod(buf, &end);
	return (*end == '\0' ? LX_OK : LX_ERR);
}
