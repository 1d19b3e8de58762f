/*
 * arena.c: bump allocator for requests and config generations.
 *
 * Chunks grow geometrically from 4 KiB so a small request costs one malloc
 * and a large body costs a few.  Objects larger than half a chunk get a chunk
 * of their own so they do not waste the tail of the current one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define AR_ALIGN	16
#define AR_FIRST	4096

struct ar_chunk {
	struct ar_chunk	*next;
	size_t		 size;		/* usable bytes after the header */
	size_t		 used;
	_Alignas(AR_ALIGN) unsigned char data[];
};

struct ar_cleanup {
	struct ar_cleanup	*next;
	void			(*fn)(void *);
	void			*arg;
};

void
ar_init(struct arena *a, size_t cap)
{
	memset(a, 0, sizeof(*a));
	a->cap = cap;
}

static void
ar_run_cleanups(struct arena *a)
{
	struct ar_cleanup	*c;

	/* Cleanup records live in the arena itself: read next before fn. */
	while ((c = a->cleanups) != NULL) {
		a->cleanups = c->next;
		c->fn(c->arg);
	}
}

void
ar_free(struct arena *a)
{
	struct ar_chunk	*c, *n;

	ar_run_cleanups(a);
	for (c = a->head; c != NULL; c = n) {
		n = c->next;
		free(c);
	}
	a->head = NULL;
	a->total = 0;
	a->failed = 0;
}

void
ar_reset(struct arena *a)
{
	struct ar_chunk	*c, *n, *last = NULL;

	ar_run_cleanups(a);
	for (c = a->head; c != NULL; c = n) {
		n = c->next;
		if (n == NULL)
			last = c;
		else
			free(c);
	}
	/* Keep one ordinary chunk; a big one would pin memory in a pool. */
	if (last != NULL && last->size > 64 * 1024) {
		free(last);
		last = NULL;
	}
	a->head = last;
	a->total = 0;
	if (last != NULL) {
		last->used = 0;
		a->total = last->size;
	}
	a->failed = 0;
}

void *
ar_alloc(struct arena *a, size_t n)
{
	struct ar_chunk	*c = a->head;
	size_t		 sz, off;

	if (a->failed)
		return (NULL);
	if (n == 0)
		n = 1;
	if (n > SIZE_MAX / 2)
		goto fail;
	if (c != NULL) {
		off = (c->used + AR_ALIGN - 1) & ~(size_t)(AR_ALIGN - 1);
		if (off <= c->size && c->size - off >= n) {
			c->used = off + n;
			return (c->data + off);
		}
	}
	sz = c == NULL ? AR_FIRST : c->size * 2;
	if (sz > 1024 * 1024)
		sz = 1024 * 1024;
	if (sz < n)
		sz = n;
	if (a->cap != 0 && a->total + sz > a->cap)
		goto fail;
	if ((c = malloc(sizeof(*c) + sz)) == NULL)
		goto fail;
	c->size = sz;
	c->used = n;
	a->total += sz;
	if (a->head != NULL && n > a->head->size / 2 && sz == n) {
		/* A big object: keep the current chunk's free tail in use. */
		c->next = a->head->next;
		a->head->next = c;
	} else {
		c->next = a->head;
		a->head = c;
	}
	return (c->data);
 fail:
	a->failed = 1;
	return (NULL);
}

void *
ar_calloc(struct arena *a, size_t n)
{
	void	*p;

	if ((p = ar_alloc(a, n)) != NULL)
		memset(p, 0, n);
	return (p);
}

void *
ar_memdup(struct arena *a, const void *s, size_t n)
{
	void	*p;

	if ((p = ar_alloc(a, n)) != NULL && n > 0)
		memcpy(p, s, n);
	return (p);
}

char *
ar_strndup(struct arena *a, const char *s, size_t n)
{
	char	*p;

	if (s == NULL)
		return (NULL);
	if ((p = ar_alloc(a, n + 1)) == NULL)
		return (NULL);
	memcpy(p, s, n);
	p[n] = '\0';
	return (p);
}

char *
ar_strdup(struct arena *a, const char *s)
{
	return (s == NULL ? NULL : ar_strndup(a, s, strlen(s)));
}

char *
ar_vprintf(struct arena *a, const char *fmt, va_list ap)
{
	va_list	 ap2;
	char	*p;
	int	 n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || (p = ar_alloc(a, (size_t)n + 1)) == NULL)
		return (NULL);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return (p);
}

char *
ar_printf(struct arena *a, const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	va_start(ap, fmt);
	p = ar_vprintf(a, fmt, ap);
	va_end(ap);
	return (p);
}

int
ar_cleanup(struct arena *a, void (*fn)(void *), void *arg)
{
	struct ar_cleanup	*c;

	if ((c = ar_alloc(a, sizeof(*c))) == NULL)
		return (LX_ERR);
	c->fn = fn;
	c->arg = arg;
	c->next = a->cleanups;
	a->cleanups = c;
	return (LX_OK);
}
