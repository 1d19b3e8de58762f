/*
 * arena.h: bump allocator with a cleanup list.
 *
 * A request and a config generation each own one arena; everything they
 * allocate lives until ar_free().  Overflow of the optional size cap is
 * sticky: allocation returns NULL and ar_failed() reports it, so a caller
 * may check once after a sequence of allocations.
 */
#ifndef ARENA_H
#define ARENA_H

#include <stddef.h>
#include <stdarg.h>

#include "llmux.h"

struct ar_chunk;
struct ar_cleanup;

struct arena {
	struct ar_chunk		*head;		/* current chunk, newest first */
	struct ar_cleanup	*cleanups;	/* run in reverse order by ar_free */
	size_t			 total;		/* bytes taken from malloc */
	size_t			 cap;		/* 0: no cap */
	int			 failed;	/* sticky: an allocation failed */
};

/* Start an empty arena; cap 0 means unlimited. Never fails. */
void		 ar_init(struct arena *, size_t cap);
/* Release every chunk after running the cleanups, newest first. */
void		 ar_free(struct arena *);
/* Reset to empty, keeping the first chunk for reuse. */
void		 ar_reset(struct arena *);
/* Aligned allocation; NULL on failure (and ar_failed() is set). */
void		*ar_alloc(struct arena *, size_t);
/* Zeroed allocation. */
void		*ar_calloc(struct arena *, size_t);
/* Copies; NULL in gives NULL out without failing. */
char		*ar_strdup(struct arena *, const char *);
char		*ar_strndup(struct arena *, const char *, size_t);
void		*ar_memdup(struct arena *, const void *, size_t);
char		*ar_printf(struct arena *, const char *, ...) LX_PRINTF(2, 3);
char		*ar_vprintf(struct arena *, const char *, va_list);
/* Run fn(arg) when the arena is freed or reset. LX_ERR when out of memory. */
int		 ar_cleanup(struct arena *, void (*fn)(void *), void *arg)
		    LX_MUSTCHECK;
static inline int
ar_failed(const struct arena *a)
{
	return (a->failed);
}

#endif
