/*
 * json.h: a validating JSON scanner that indexes the members of one object
 * without building a tree.
 *
 * Requests and responses are forwarded as bytes: llmux needs a handful of
 * top-level fields (model, stream, messages) and splices a few (model), so
 * it validates the whole text once and records where each top-level member
 * lies.  Nested values are scanned again on demand (js_object on a member).
 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>

#include "llmux.h"

struct arena;

enum js_type { JS_NONE, JS_STR, JS_NUM, JS_OBJ, JS_ARR, JS_TRUE, JS_FALSE,
	JS_NULL };

struct js_mem {
	const char	*key;		/* raw key bytes, without quotes */
	size_t		 klen;
	const char	*val;		/* raw value text (strings keep quotes) */
	size_t		 vlen;
	enum js_type	 type;
};

#define JS_MAXDEPTH	128

/*
 * Validate p[0..n) as one JSON object (surrounding white space allowed)
 * and record up to max top-level members in m.  *count gets the number of
 * members recorded (at most max: m[0..*count) is safe to search), *total
 * (unless NULL) the number the object has, which exceeds *count when
 * members did not fit.  LX_ERR when the text is not valid JSON or not an
 * object; *errpos (unless NULL) then gets the offset of the problem.
 */
int	js_object(const char *p, size_t n, struct js_mem *m, size_t max,
	    size_t *count, size_t *total, size_t *errpos) LX_MUSTCHECK;
/* Validate any JSON value; LX_OK or LX_ERR. */
int	js_valid(const char *p, size_t n) LX_MUSTCHECK;
/* The member named key (exact, unescaped key text), or NULL. */
const struct js_mem *js_find(const struct js_mem *m, size_t n,
	    const char *key);
/* Unescaped copy of a JSON string value (with quotes) in a; NULL if bad. */
char	*js_string(struct arena *a, const char *val, size_t vlen);
/* Append s as a quoted JSON string to dst (which has room 6*len+3). */
size_t	js_quote_into(char *dst, const char *s, size_t len);
/* Quoted JSON string of s, allocated in a. */
char	*js_quote(struct arena *a, const char *s);
/* Parse a JSON number member as double; LX_ERR if not a number. */
int	js_number(const struct js_mem *m, double *out) LX_MUSTCHECK;

/* The value of the hexadecimal digit c, or -1. */
int	js_hexval(int c);

#endif
