/*
 * glob.c: model_name patterns (glob.h has the contract).
 *
 * A pattern is text segments separated by stars: seg0 * seg1 * ... * segk,
 * where segk may be empty.  re.match() with greedy "(.*)" groups accepts s
 * when seg0 starts s and seg1..segk occur after it in order, without
 * overlap; each group then ends where the latest workable placement of
 * the next segment starts.  Placing the segments from the last one back,
 * each at its last occurrence before the one that follows it, finds
 * exactly those placements: a later segment placed later only leaves more
 * room for the earlier ones.  No backtracking, so no pattern can make a
 * request take exponential time.
 */
#include <string.h>

#include "glob.h"

/* The last place in [lo, hi) where seg (of n bytes) fits whole, or NULL. */
static const char *
glob_last(const char *lo, const char *hi, const char *seg, size_t n)
{
	const char	*p;

	if ((size_t)(hi - lo) < n)
		return (NULL);
	for (p = hi - n;; p--) {
		if (memcmp(p, seg, n) == 0)
			return (p);
		if (p == lo)
			return (NULL);
	}
}

int
glob_match(const char *pat, const char *s, const char **cap, size_t *caplen,
    size_t maxcaps, size_t *ncaps)
{
	const char	*star, *p, *seg, *segend, *lo, *bound, *at, *next;
	size_t		 k = 0, i, n0, end;

	if (ncaps != NULL)
		*ncaps = 0;
	star = strchr(pat, '*');
	n0 = star != NULL ? (size_t)(star - pat) : strlen(pat);
	if (strncmp(pat, s, n0) != 0)
		return (0);
	if (star == NULL)
		return (1);
	for (p = star; p != NULL; p = strchr(p + 1, '*'))
		k++;
	/* Segments k down to 1; segment i is the text after star i. */
	lo = s + n0;
	bound = s + strlen(s);
	segend = pat + strlen(pat);
	for (i = k; i >= 1; i--) {
		for (seg = segend; seg[-1] != '*'; seg--)
			;
		if ((at = glob_last(lo, bound, seg, (size_t)(segend - seg))) ==
		    NULL)
			return (0);
		if (i <= maxcaps)
			caplen[i - 1] = (size_t)(at - s);	/* for below */
		bound = at;
		segend = seg - 1;
	}
	/* Star i runs from the end of segment i - 1 to the start of i. */
	end = n0;
	for (i = 1, p = star; i <= k && i <= maxcaps; i++, p = next) {
		next = strchr(p + 1, '*');
		at = s + caplen[i - 1];
		cap[i - 1] = s + end;
		caplen[i - 1] = (size_t)(at - cap[i - 1]);
		end = (size_t)(at - s) + (next != NULL ? (size_t)(next - p - 1) :
		    strlen(p + 1));
	}
	if (ncaps != NULL)
		*ncaps = k;
	return (1);
}
