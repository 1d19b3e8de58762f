/*
 * The validating JSON scanner: what it accepts, what it refuses, and the
 * member index it builds.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "arena.h"
#include "json.h"

static int
scan(const char *s, struct js_mem *m, size_t max, size_t *n)
{
	size_t	errpos;

	return (js_object(s, strlen(s), m, max, n, NULL, &errpos));
}

Test(json, indexes_top_level_members)
{
	struct js_mem		 m[8];
	const struct js_mem	*f;
	size_t			 n;
	const char		*s = " {\"model\" : \"gpt-4o\", \"stream\":true,"
	    "\"messages\":[{\"role\":\"user\",\"content\":\"a\\\"b\"}],"
	    "\"n\":-1.5e3, \"x\":null} ";

	cr_assert_eq(scan(s, m, 8, &n), LX_OK);
	cr_assert_eq(n, 5);
	f = js_find(m, n, "model");
	cr_assert_not_null(f);
	cr_assert_eq(f->type, JS_STR);
	cr_assert_eq(f->vlen, 8);
	cr_assert_eq(js_find(m, n, "stream")->type, JS_TRUE);
	cr_assert_eq(js_find(m, n, "messages")->type, JS_ARR);
	cr_assert_eq(js_find(m, n, "n")->type, JS_NUM);
	cr_assert_eq(js_find(m, n, "x")->type, JS_NULL);
	cr_assert_null(js_find(m, n, "nope"));
}

Test(json, refuses_invalid_text)
{
	static const char *bad[] = {
		"", "[]", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{a:1}",
		"{\"a\":01}", "{\"a\":1.}", "{\"a\":tru}", "{\"a\":\"\\x\"}",
		"{\"a\":\"\x01\"}", "{\"a\":[1,]}", "{} {}", "{\"a\":\"open}",
		"{\"a\":-}", "{\"a\":1e}", "{\"a\":\"\\u12g4\"}",
	};
	struct js_mem	m[4];
	size_t		i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(scan(bad[i], m, 4, &n), LX_ERR, "accepted %s",
		    bad[i]);
}

Test(json, depth_is_bounded)
{
	char	buf[JS_MAXDEPTH * 2 + 32];
	size_t	i, o = 0, n;
	struct js_mem m[1];

	o += (size_t)sprintf(buf, "{\"a\":");
	for (i = 0; i < JS_MAXDEPTH + 5; i++)
		buf[o++] = '[';
	for (i = 0; i < JS_MAXDEPTH + 5; i++)
		buf[o++] = ']';
	buf[o++] = '}';
	buf[o] = '\0';
	cr_assert_eq(scan(buf, m, 1, &n), LX_ERR);
}

/* The count is what m holds, safe to hand to js_find without a clamp. */
Test(json, count_is_clamped_to_max)
{
	struct js_mem	m[2];
	size_t		n;

	cr_assert_eq(scan("{\"a\":1,\"b\":2,\"c\":3}", m, 2, &n), LX_OK);
	cr_assert_eq(n, 2);
	cr_assert_null(js_find(m, n, "c"));
}

Test(json, total_counts_members_past_max)
{
	struct js_mem	m[2];
	size_t		n, total;

	cr_assert_eq(js_object("{\"a\":1,\"b\":2,\"c\":3}", 19, m, 2, &n,
	    &total, NULL), LX_OK);
	cr_assert_eq(n, 2);
	cr_assert_eq(total, 3);
}

Test(json, last_duplicate_wins)
{
	struct js_mem	m[4];
	size_t		n;

	cr_assert_eq(scan("{\"a\":1,\"a\":2}", m, 4, &n), LX_OK);
	cr_assert_eq(js_find(m, n, "a")->val[0], '2');
}

Test(json, unescapes_strings)
{
	struct arena	 a;
	const char	*v = "\"a\\n\\\"\\u00e9\\ud83d\\ude00\\/\"";
	char		*s;

	ar_init(&a, 0);
	s = js_string(&a, v, strlen(v));
	cr_assert_not_null(s);
	cr_assert_str_eq(s, "a\n\"\xc3\xa9\xf0\x9f\x98\x80/");
	ar_free(&a);
}

Test(json, quote_round_trips)
{
	struct arena	 a;
	char		*q, *back;
	const char	*in = "tab\there \"quoted\" back\\slash \x01";

	ar_init(&a, 0);
	q = js_quote(&a, in);
	cr_assert_eq(js_valid(q, strlen(q)), LX_OK);
	back = js_string(&a, q, strlen(q));
	cr_assert_str_eq(back, in);
	ar_free(&a);
}
