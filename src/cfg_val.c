/*
 * cfg_val.c: scalars as LiteLLM sees them, and values as text.
 *
 * LiteLLM reads its config with PyYAML, so a plain scalar is typed by the
 * YAML 1.1 rules (20_000 and 0x1F are integers, yes/on are booleans, 1e5
 * is a string), and a numeric key also takes a string holding a number,
 * since LiteLLM casts.  Values leave as JSON (extra parameters for the
 * provider) or as Python shows them (the text a deployment id hashes).
 * These functions keep no state and report nothing; the callers in
 * cfg_walk.c turn a phrase they return into a diagnostic.
 */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "cfg.h"
#include "cfg_int.h"

unsigned long	 cfg_steps;
long		 cfg_visit_base = CFG_MAXVISIT;

/* FNV-1a of s, then aux folded in. */
static size_t
cfg_hash_of(const char *s, size_t aux)
{
	uint64_t	 h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	h = (h ^ aux) * 1099511628211ULL;
	return ((size_t)(h ^ (h >> 29)));
}

/* Double the table (at least 16 slots) and put every entry back. */
static int
cfg_hash_grow(struct cfg_hash *h)
{
	struct cfg_hent	*t, *e;
	size_t		 cap = h->cap == 0 ? 16 : h->cap * 2, i, j;

	if ((t = calloc(cap, sizeof(*t))) == NULL)
		return (LX_ERR);
	for (i = 0; i < h->cap; i++) {
		if ((e = &h->t[i])->key == NULL)
			continue;
		for (j = cfg_hash_of(e->key, e->aux) & (cap - 1);
		    t[j].key != NULL; j = (j + 1) & (cap - 1))
			cfg_steps++;
		t[j] = *e;
	}
	free(h->t);
	h->t = t;
	h->cap = cap;
	return (LX_OK);
}

struct cfg_hent *
cfg_hash_at(struct cfg_hash *h, const char *key, size_t aux, int add)
{
	struct cfg_hent	*e;
	size_t		 i;

	if (add && (h->n + 1) * 2 > h->cap && cfg_hash_grow(h) != LX_OK)
		return (NULL);
	if (h->cap == 0)
		return (NULL);
	for (i = cfg_hash_of(key, aux) & (h->cap - 1);;
	    i = (i + 1) & (h->cap - 1)) {
		cfg_steps++;
		e = &h->t[i];
		if (e->key == NULL)
			break;
		if (e->aux == aux && strcmp(e->key, key) == 0)
			return (e);
	}
	if (!add)
		return (NULL);
	e->key = key;
	e->aux = aux;
	e->val = SIZE_MAX;
	e->str = NULL;
	h->n++;
	return (e);
}

void
cfg_hash_free(struct cfg_hash *h)
{
	free(h->t);
	memset(h, 0, sizeof(*h));
}

static void
cfg_bput(struct cfg_buf *b, const char *s, size_t n)
{
	size_t	 c;
	char	*p;

	if (b->fail)
		return;
	if (b->len + n + 1 > b->cap) {
		c = b->cap == 0 ? 256 : b->cap;
		while (c < b->len + n + 1)
			c *= 2;
		if ((p = realloc(b->p, c)) == NULL) {
			b->fail = 1;
			return;
		}
		b->p = p;
		b->cap = c;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
cfg_bputs(struct cfg_buf *b, const char *s)
{
	cfg_bput(b, s, strlen(s));
}

/* Short text only: it is cut at 127 bytes. */
void
cfg_bprintf(struct cfg_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	 tmp[128];
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n >= 0)
		cfg_bput(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n :
		    sizeof(tmp) - 1);
}

static int
cfg_is_null(const char *s)
{
	return (*s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0);
}

static int
cfg_is_bool(const char *s, int *b)
{
	static const char *const t[] = { "yes", "Yes", "YES", "true", "True",
	    "TRUE", "on", "On", "ON", NULL };
	static const char *const f[] = { "no", "No", "NO", "false", "False",
	    "FALSE", "off", "Off", "OFF", NULL };
	int	 i;

	for (i = 0; t[i] != NULL; i++)
		if (strcmp(s, t[i]) == 0) {
			*b = 1;
			return (1);
		}
	for (i = 0; f[i] != NULL; i++)
		if (strcmp(s, f[i]) == 0) {
			*b = 0;
			return (1);
		}
	return (0);
}

static int
cfg_digit(int c, int base)
{
	int	 v;

	if (c >= '0' && c <= '9')
		v = c - '0';
	else if (c >= 'a' && c <= 'f')
		v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		v = c - 'A' + 10;
	else
		return (-1);
	return (v < base ? v : -1);
}

/* Digits of base with underscores anywhere, up to stop; 0 if none. */
static int
cfg_digits(const char **sp, int base, long long *v)
{
	const char	*s = *sp;
	int		 d, seen = 0;

	for (; *s != '\0' && *s != ':'; s++) {
		if (*s == '_')
			continue;
		if ((d = cfg_digit((unsigned char)*s, base)) < 0)
			return (0);
		if (*v > (LLONG_MAX - d) / base)
			return (0);
		*v = *v * base + d;
		seen = 1;
	}
	*sp = s;
	return (seen);
}

/* int: 0b1_0, 0x_1F, 017 (octal), 20_000, 1:30 (sexagesimal). */
static int
cfg_yaml_int(const char *s, long long *out)
{
	long long	 v = 0, part;
	int		 neg = 0;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (s[0] == '0' && s[1] == 'b') {
		s += 2;
		if (!cfg_digits(&s, 2, &v) || *s != '\0')
			return (0);
	} else if (s[0] == '0' && s[1] == 'x') {
		s += 2;
		if (!cfg_digits(&s, 16, &v) || *s != '\0')
			return (0);
	} else if (s[0] == '0' && s[1] != '\0') {
		if (!cfg_digits(&s, 8, &v) || *s != '\0')
			return (0);
	} else if (s[0] == '0') {
		v = 0;
	} else if (s[0] >= '1' && s[0] <= '9') {
		if (!cfg_digits(&s, 10, &v))
			return (0);
		while (*s == ':') {
			/* [0-5]?[0-9] after each colon */
			s++;
			if (!isdigit((unsigned char)s[0]))
				return (0);
			if (isdigit((unsigned char)s[1])) {
				if (s[0] > '5')
					return (0);
				part = (s[0] - '0') * 10 + s[1] - '0';
				s += 2;
			} else
				part = *s++ - '0';
			if ((*s != '\0' && *s != ':') ||
			    v > (LLONG_MAX - 59) / 60)
				return (0);
			v = v * 60 + part;
		}
		if (*s != '\0')
			return (0);
	} else
		return (0);
	*out = neg ? -v : v;
	return (1);
}

/* float: 1.5, 1_000.0, 1.5e-3 (signed exponent), .5, .inf, .nan. */
static int
cfg_yaml_float(const char *s, double *out)
{
	char		 buf[128], *end;
	const char	*p = s;
	size_t		 n = 0;
	int		 sign = 0, digits = 0;

	if (*p == '+' || *p == '-')
		sign = *p++;
	if (strcmp(p, ".inf") == 0 || strcmp(p, ".Inf") == 0 ||
	    strcmp(p, ".INF") == 0) {
		*out = sign == '-' ? -INFINITY : INFINITY;
		return (1);
	}
	if (!sign && (strcmp(p, ".nan") == 0 || strcmp(p, ".NaN") == 0 ||
	    strcmp(p, ".NAN") == 0)) {
		*out = NAN;
		return (1);
	}
	if (sign)
		buf[n++] = (char)sign;
	/* [0-9][0-9_]* before the point; only an unsigned number may omit it */
	if (!isdigit((unsigned char)*p) && (sign || *p != '.'))
		return (0);
	for (; isdigit((unsigned char)*p) || *p == '_'; p++)
		if (*p != '_' && n < sizeof(buf) - 8)
			buf[n++] = *p, digits++;
	if (*p != '.')
		return (0);
	buf[n++] = *p++;
	for (; isdigit((unsigned char)*p) || *p == '_'; p++)
		if (*p != '_' && n < sizeof(buf) - 8)
			buf[n++] = *p, digits++;
	if (digits == 0)
		return (0);
	if (*p == 'e' || *p == 'E') {
		if ((p[1] != '+' && p[1] != '-') ||
		    !isdigit((unsigned char)p[2]))
			return (0);
		buf[n++] = 'e';
		buf[n++] = p[1];
		for (p += 2; isdigit((unsigned char)*p); p++)
			if (n < sizeof(buf) - 1)
				buf[n++] = *p;
	}
	if (*p != '\0' || n >= sizeof(buf) - 1)
		return (0);
	buf[n] = '\0';
	*out = strtod(buf, &end);
	return (*end == '\0');
}

/* Type a scalar node: quoted is a string, plain goes by YAML 1.1. */
void
cfg_type(const yaml_node_t *n, struct cfg_val *v)
{
	memset(v, 0, sizeof(*v));
	v->t = CFG_V_STR;
	v->s = cfg_text(n);
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE &&
	    n->data.scalar.style != YAML_ANY_SCALAR_STYLE)
		return;
	if (cfg_is_null(v->s))
		v->t = CFG_V_NULL;
	else if (cfg_is_bool(v->s, &v->b))
		v->t = CFG_V_BOOL;
	else if (cfg_yaml_int(v->s, &v->i))
		v->t = CFG_V_INT;
	else if (cfg_yaml_float(v->s, &v->d))
		v->t = CFG_V_NUM;
}

const char *
cfg_kind(const yaml_node_t *n)
{
	struct cfg_val	 v;

	if (n->type == YAML_MAPPING_NODE)
		return ("a mapping");
	if (n->type == YAML_SEQUENCE_NODE)
		return ("a list");
	cfg_type(n, &v);
	switch (v.t) {
	case CFG_V_NULL:
		return ("null");
	case CFG_V_BOOL:
		return ("a boolean");
	case CFG_V_INT:
		return ("an integer");
	case CFG_V_NUM:
		return ("a number");
	default:
		return ("a string");
	}
}

/* The value for "expected ..., got X": quoted text, or its kind. */
const char *
cfg_got(const yaml_node_t *n, const struct cfg_val *v, char *buf,
    size_t sz)
{
	if (n->type != YAML_SCALAR_NODE)
		return (cfg_kind(n));
	if (v->t != CFG_V_STR) {
		snprintf(buf, sz, "%s", cfg_text(n));
		return (buf);
	}
	return (cfg_show(v, buf, sz));
}

/*
 * A string value for a message: quoted and cut at 60 bytes, or, when it
 * came from the environment, only the variable's name, since such values
 * are where secrets live.
 */
const char *
cfg_show(const struct cfg_val *v, char *buf, size_t sz)
{
	if (v->env != NULL)
		snprintf(buf, sz, "the value of " CFG_ENV "%.200s", v->env);
	else
		snprintf(buf, sz, "\"%.60s%s\"", v->s, strlen(v->s) > 60 ?
		    "..." : "");
	return (buf);
}

/* Python's int() and float() on a string, as LiteLLM casts. */
static int
cfg_str_int(const char *s, long long *out)
{
	long long	 v = 0;
	int		 neg = 0, d;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (!isdigit((unsigned char)*s))
		return (0);
	for (; *s != '\0'; s++) {
		if (*s == '_' && isdigit((unsigned char)s[1]))
			continue;
		if (!isdigit((unsigned char)*s))
			break;
		d = *s - '0';
		if (v > (LLONG_MAX - d) / 10)
			return (0);
		v = v * 10 + d;
	}
	while (isspace((unsigned char)*s))
		s++;
	if (*s != '\0')
		return (0);
	*out = neg ? -v : v;
	return (1);
}

static int
cfg_str_num(const char *s, double *out)
{
	char	 buf[128], *e;
	size_t	 n = 0;

	for (; *s != '\0'; s++) {
		if (*s == '_' && n > 0 && isdigit((unsigned char)buf[n - 1]) &&
		    isdigit((unsigned char)s[1]))
			continue;
		if (*s == 'x' || *s == 'X' || n >= sizeof(buf) - 1)
			return (0);
		buf[n++] = *s;
	}
	buf[n] = '\0';
	if (n == 0)
		return (0);
	*out = strtod(buf, &e);
	while (isspace((unsigned char)*e))
		e++;
	return (e != buf && *e == '\0' && isfinite(*out));
}

const char *
cfg_get_int(const struct cfg_val *v, long *out)
{
	long long	 x;

	if (v->t == CFG_V_INT)
		x = v->i;
	else if (v->t != CFG_V_STR || !cfg_str_int(v->s, &x))
		return ("expected an integer");
	if (x < LONG_MIN || x > LONG_MAX)
		return ("out of range");
	*out = (long)x;
	return (NULL);
}

const char *
cfg_get_num(const struct cfg_val *v, double *out)
{
	if (v->t == CFG_V_INT)
		*out = (double)v->i;
	else if (v->t == CFG_V_NUM && isfinite(v->d))
		*out = v->d;
	else if (v->t != CFG_V_STR || !cfg_str_num(v->s, out))
		return ("expected a number");
	return (NULL);
}

const char *
cfg_get_bool(const struct cfg_val *v, int *out)
{
	static const char *const t[] = { "true", "yes", "on", "1", NULL };
	static const char *const f[] = { "false", "no", "off", "0", NULL };
	int	 i;

	if (v->t == CFG_V_BOOL) {
		*out = v->b;
		return (NULL);
	}
	/* LiteLLM turns "true" and "false" from the environment into bools. */
	for (i = 0; v->t == CFG_V_STR && t[i] != NULL; i++) {
		if (strcasecmp(v->s, t[i]) == 0) {
			*out = 1;
			return (NULL);
		}
		if (strcasecmp(v->s, f[i]) == 0) {
			*out = 0;
			return (NULL);
		}
	}
	return ("expected a boolean (true or false)");
}

/* 30s, 5m, 24h, 30d, 2w, 1mo */
int
cfg_is_duration(const char *s)
{
	if (!isdigit((unsigned char)*s))
		return (0);
	while (isdigit((unsigned char)*s))
		s++;
	return (strcmp(s, "s") == 0 || strcmp(s, "m") == 0 ||
	    strcmp(s, "h") == 0 || strcmp(s, "d") == 0 ||
	    strcmp(s, "w") == 0 || strcmp(s, "mo") == 0);
}

/* null, false or empty: a feature left off needs no warning. */
int
cfg_is_off(const yaml_node_t *n)
{
	struct cfg_val	 v;

	if (n->type == YAML_MAPPING_NODE)
		return (n->data.mapping.pairs.top ==
		    n->data.mapping.pairs.start);
	if (n->type == YAML_SEQUENCE_NODE)
		return (n->data.sequence.items.top ==
		    n->data.sequence.items.start);
	cfg_type(n, &v);
	return (v.t == CFG_V_NULL || (v.t == CFG_V_BOOL && !v.b));
}

/* Python's repr() of a float: the shortest text that reads back. */
void
cfg_pyfloat(double d, char *buf, size_t sz)
{
	char	 tmp[40], dig[24], *p;
	int	 prec, e, nd = 0, i, o = 0;

	if (isnan(d) || isinf(d)) {
		snprintf(buf, sz, "%s", isnan(d) ? "nan" : d < 0 ? "-inf" :
		    "inf");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	for (p = tmp; *p != 'e'; p++)
		if (isdigit((unsigned char)*p))
			dig[nd++] = *p;
	dig[nd] = '\0';
	e = atoi(p + 1);
	if (signbit(d))
		buf[o++] = '-';
	if (e >= -4 && e < 16) {
		if (e < 0) {
			o += snprintf(buf + o, sz - o, "0.");
			for (i = -1; i > e; i--)
				buf[o++] = '0';
			snprintf(buf + o, sz - o, "%s", dig);
			return;
		}
		for (i = 0; i <= e; i++)
			buf[o++] = i < nd ? dig[i] : '0';
		buf[o++] = '.';
		if (nd > e + 1)
			snprintf(buf + o, sz - o, "%s", dig + e + 1);
		else
			snprintf(buf + o, sz - o, "0");
		return;
	}
	buf[o++] = dig[0];
	if (nd > 1)
		o += snprintf(buf + o, sz - o, ".%s", dig + 1);
	snprintf(buf + o, sz - o, "e%c%02d", e < 0 ? '-' : '+', abs(e));
}

void
cfg_quote(struct cfg_buf *b, const char *s, enum cfg_fmt fmt)
{
	const unsigned char	*p;
	unsigned int		 cp, hi, lo;
	char			 q = '"';
	int			 len, i;

	if (fmt == CFG_PYREPR && !(strchr(s, '\'') != NULL &&
	    strchr(s, '"') == NULL))
		q = '\'';
	cfg_bput(b, &q, 1);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == (unsigned char)q || *p == '\\')
			cfg_bprintf(b, "\\%c", *p);
		else if (*p == '\n')
			cfg_bputs(b, "\\n");
		else if (*p == '\r')
			cfg_bputs(b, "\\r");
		else if (*p == '\t')
			cfg_bputs(b, "\\t");
		else if (*p < 0x20 || (*p == 0x7f && fmt == CFG_PYREPR))
			cfg_bprintf(b, fmt == CFG_PYREPR ? "\\x%02x" :
			    "\\u%04x", *p);
		else if (*p >= 0x80 && fmt == CFG_PYJSON) {
			/* json.dumps() escapes all of non-ASCII. */
			len = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;
			cp = *p & (0x3f >> (len - 1));
			for (i = 1; i < len && p[1] != '\0'; i++)
				cp = (cp << 6) | (*++p & 0x3f);
			if (cp > 0xffff) {
				hi = 0xd800 + ((cp - 0x10000) >> 10);
				lo = 0xdc00 + ((cp - 0x10000) & 0x3ff);
				cfg_bprintf(b, "\\u%04x\\u%04x", hi, lo);
			} else
				cfg_bprintf(b, "\\u%04x", cp);
		} else
			cfg_bput(b, (const char *)p, 1);
	}
	cfg_bput(b, &q, 1);
}

void
cfg_render_scalar(const struct cfg_val *v, enum cfg_fmt fmt,
    struct cfg_buf *b)
{
	char	 num[40];

	switch (v->t) {
	case CFG_V_NULL:
		cfg_bputs(b, fmt == CFG_PYREPR ? "None" : "null");
		break;
	case CFG_V_BOOL:
		if (fmt == CFG_PYREPR)
			cfg_bputs(b, v->b ? "True" : "False");
		else
			cfg_bputs(b, v->b ? "true" : "false");
		break;
	case CFG_V_INT:
		cfg_bprintf(b, "%lld", v->i);
		break;
	case CFG_V_NUM:
		if (isfinite(v->d) || fmt == CFG_PYREPR)
			cfg_pyfloat(v->d, num, sizeof(num));
		else if (fmt == CFG_JSON)
			snprintf(num, sizeof(num), "null");
		else
			snprintf(num, sizeof(num), "%s", isnan(v->d) ? "NaN" :
			    v->d < 0 ? "-Infinity" : "Infinity");
		cfg_bputs(b, num);
		break;
	default:
		cfg_quote(b, v->s, fmt);
		break;
	}
}
