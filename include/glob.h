/*
 * glob.h: model_name patterns, as LiteLLM matches them.
 *
 * One matcher for the loader (which checks that the groups fallbacks name
 * exist) and the router (which picks a wildcard group and fills its
 * captures into the upstream model).  It needs nothing but libc.  This
 * header shadows the C library's <glob.h>, which llmux does not use.
 */
#ifndef GLOB_H
#define GLOB_H

#include <stddef.h>

/*
 * Match s against pattern pat the way LiteLLM's router does: pat is
 * regex-escaped, each '*' becomes a greedy "(.*)", and the result is tried
 * with Python's re.match(), so the match is anchored at the start of s
 * only ("gpt-*" matches "gpt-4o-mini"; "gpt" matches "gpt-4o").
 * Returns 1 on a match, else 0.
 *
 * Each '*' captures what it matched, as re's groups do: an earlier star
 * takes as much as lets the rest match.  The first maxcaps captures go to
 * cap[] (start in s) and caplen[] (length); cap and caplen may be NULL
 * when maxcaps is 0.  *ncaps (ncaps may be NULL) gets the number of stars
 * in pat, which may exceed maxcaps; the match does not depend on maxcaps.
 * Runs in O(strlen(s) * strlen(pat)) time and does not allocate.
 */
int	glob_match(const char *pat, const char *s, const char **cap,
	    size_t *caplen, size_t maxcaps, size_t *ncaps);

#endif
