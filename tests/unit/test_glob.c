/*
 * test_glob.c: model_name patterns (glob.c).  The expected captures are
 * what Python's re.match() gives for the pattern escaped with each '*'
 * turned into "(.*)", as LiteLLM builds it.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "glob.h"

struct tg_case {
	const char	*pat, *s;
	int		 match;
	size_t		 ncaps;
	const char	*caps[3];
};

static const struct tg_case tg_cases[] = {
	{ "openai/*", "openai/gpt-4o", 1, 1, { "gpt-4o" } },
	{ "*", "anything", 1, 1, { "anything" } },
	{ "*", "", 1, 1, { "" } },
	{ "a*b", "axbyb", 1, 1, { "xby" } },
	{ "a*b*c", "a1b2b3c4c", 1, 2, { "1b2", "3c4" } },
	{ "a**b", "axxb", 1, 2, { "xx", "" } },
	{ "gpt", "gpt-4o", 1, 0, { NULL } },
	{ "gpt-4o", "gpt", 0, 0, { NULL } },
	{ "x*", "y", 0, 0, { NULL } },
	{ "*-mini", "gpt-4o-mini-mini", 1, 1, { "gpt-4o-mini" } },
	{ "a*b", "ab", 1, 1, { "" } },
	{ "a*b", "ac", 0, 0, { NULL } },
	{ "*/*", "azure/eu/gpt", 1, 2, { "azure/eu", "gpt" } },
	{ "a*aa", "aaaa", 1, 1, { "a" } },
	{ "**", "xy", 1, 2, { "xy", "" } },
	{ "*/*/*", "a/b", 0, 0, { NULL } },
	{ "", "anything", 1, 0, { NULL } },
};

Test(glob, matches_as_re_match)
{
	const struct tg_case	*t;
	const char		*cap[3];
	size_t			 caplen[3], n, i;

	for (t = tg_cases; t < tg_cases + sizeof(tg_cases) /
	    sizeof(tg_cases[0]); t++) {
		n = 99;
		cr_assert_eq(glob_match(t->pat, t->s, cap, caplen, 3, &n),
		    t->match, "%s against %s", t->pat, t->s);
		if (!t->match)
			continue;
		cr_assert_eq(n, t->ncaps, "%s against %s: %zu stars", t->pat,
		    t->s, n);
		for (i = 0; i < n; i++)
			cr_assert(caplen[i] == strlen(t->caps[i]) &&
			    strncmp(cap[i], t->caps[i], caplen[i]) == 0,
			    "%s against %s: capture %zu is \"%.*s\", not "
			    "\"%s\"", t->pat, t->s, i, (int)caplen[i], cap[i],
			    t->caps[i]);
	}
}

Test(glob, captures_are_optional)
{
	const char	*cap[1];
	size_t		 caplen[1], n;

	cr_assert_eq(glob_match("a*b*c", "a1b2c", NULL, NULL, 0, NULL), 1);
	cr_assert_eq(glob_match("a*b*c", "a1b2", NULL, NULL, 0, NULL), 0);
	/* Fewer capture slots than stars: the first ones are filled. */
	cr_assert_eq(glob_match("*-*", "x-y", cap, caplen, 1, &n), 1);
	cr_assert_eq(n, 2);
	cr_assert_eq(caplen[0], 1);
	cr_assert_eq(cap[0][0], 'x');
}

/* Many stars on a long name that cannot match: no backtracking blow-up. */
Test(glob, many_stars_stay_fast, .timeout = 10)
{
	char	 s[4097];

	memset(s, 'a', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	cr_assert_eq(glob_match("*a*a*a*a*a*a*a*a*a*a*a*a*b", s, NULL, NULL,
	    0, NULL), 0);
}
