/*
 * The arena: alignment, growth, the sticky size cap, cleanups (newest
 * first, on free and on reset) and the copying helpers.
 */
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "arena.h"

static int	order[8];
static int	norder;

static void
note(void *arg)
{
	order[norder++] = *(int *)arg;
}

Test(arena, allocations_are_16_byte_aligned)
{
	struct arena	 a;
	size_t		 sizes[] = { 1, 3, 7, 16, 17, 33, 100, 5000, 2, 1 };
	size_t		 i;
	void		*p;

	ar_init(&a, 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		p = ar_alloc(&a, sizes[i]);
		cr_assert_not_null(p);
		cr_assert_eq((uintptr_t)p % 16, 0, "size %zu at %p", sizes[i],
		    p);
		memset(p, 0xaa, sizes[i]);
	}
	/* Zero bytes still gives a distinct, usable pointer. */
	cr_assert_neq(ar_alloc(&a, 0), ar_alloc(&a, 0));
	ar_free(&a);
}

Test(arena, grows_and_keeps_earlier_objects)
{
	struct arena	 a;
	char		*p[200];
	size_t		 i, total;

	ar_init(&a, 0);
	for (i = 0; i < 200; i++) {
		p[i] = ar_alloc(&a, 100);
		cr_assert_not_null(p[i]);
		memset(p[i], (int)i, 100);
	}
	/* 200 * 112 bytes do not fit in the first 4 KiB chunk. */
	cr_assert_gt(a.total, 4096);
	for (i = 0; i < 200; i++)
		cr_assert(p[i][0] == (char)i && p[i][99] == (char)i,
		    "object %zu overwritten", i);
	/* A big object gets its own chunk and the current one stays in use:
	 * the next small object does not cost a new chunk. */
	total = a.total;
	cr_assert_not_null(ar_alloc(&a, 3 * 1024 * 1024));
	cr_assert_eq(a.total, total + 3 * 1024 * 1024);
	total = a.total;
	cr_assert_not_null(ar_alloc(&a, 16));
	cr_assert_eq(a.total, total);
	ar_free(&a);
	cr_assert_eq(a.total, 0);
	cr_assert_null(a.head);
}

Test(arena, cap_failure_is_sticky)
{
	struct arena	a;

	ar_init(&a, 8192);
	cr_assert_not_null(ar_alloc(&a, 1000));
	cr_assert(!ar_failed(&a));
	cr_assert_null(ar_alloc(&a, 10000));
	cr_assert(ar_failed(&a));
	/* Even what would fit fails now: one check after a sequence. */
	cr_assert_null(ar_alloc(&a, 8));
	cr_assert_null(ar_strdup(&a, "x"));
	cr_assert_null(ar_printf(&a, "%d", 1));
	cr_assert_eq(ar_cleanup(&a, note, NULL), LX_ERR);
	cr_assert(ar_failed(&a));
	ar_reset(&a);
	cr_assert(!ar_failed(&a));
	cr_assert_not_null(ar_alloc(&a, 8));
	ar_free(&a);
}

Test(arena, huge_request_fails_without_malloc)
{
	struct arena	a;

	ar_init(&a, 0);
	cr_assert_null(ar_alloc(&a, SIZE_MAX - 8));
	cr_assert(ar_failed(&a));
	ar_free(&a);
	cr_assert(!ar_failed(&a));
}

Test(arena, cleanups_run_newest_first_on_free)
{
	struct arena	a;
	int		v[3] = { 1, 2, 3 };

	norder = 0;
	ar_init(&a, 0);
	cr_assert_eq(ar_cleanup(&a, note, &v[0]), LX_OK);
	cr_assert_eq(ar_cleanup(&a, note, &v[1]), LX_OK);
	cr_assert_eq(ar_cleanup(&a, note, &v[2]), LX_OK);
	cr_assert_eq(norder, 0);
	ar_free(&a);
	cr_assert_eq(norder, 3);
	cr_assert(order[0] == 3 && order[1] == 2 && order[2] == 1);
	/* Run once: a second free finds none. */
	ar_free(&a);
	cr_assert_eq(norder, 3);
}

Test(arena, reset_runs_cleanups_and_reuses_a_chunk)
{
	struct arena	 a;
	int		 v[2] = { 1, 2 };
	char		*p;

	norder = 0;
	ar_init(&a, 0);
	cr_assert_not_null(ar_alloc(&a, 100));
	cr_assert_eq(ar_cleanup(&a, note, &v[0]), LX_OK);
	cr_assert_eq(ar_cleanup(&a, note, &v[1]), LX_OK);
	ar_reset(&a);
	cr_assert_eq(norder, 2);
	cr_assert(order[0] == 2 && order[1] == 1);
	cr_assert_eq(a.total, 4096);
	p = ar_alloc(&a, 64);
	cr_assert_not_null(p);
	cr_assert_eq(a.total, 4096, "reset should keep its first chunk");
	/* A reset after a huge object does not keep the huge chunk. */
	cr_assert_not_null(ar_alloc(&a, 2 * 1024 * 1024));
	ar_reset(&a);
	cr_assert_leq(a.total, 64 * 1024);
	ar_free(&a);
	cr_assert_eq(norder, 2);
}

Test(arena, copies)
{
	struct arena	 a;
	const char	*s = "gpt-4o-mini";
	char		*d;
	unsigned char	 bin[5] = { 0, 1, 2, 0, 4 }, *b;

	ar_init(&a, 0);
	d = ar_strdup(&a, s);
	cr_assert_str_eq(d, s);
	cr_assert_neq(d, s);
	cr_assert_str_eq(ar_strndup(&a, s, 3), "gpt");
	cr_assert_null(ar_strdup(&a, NULL));
	cr_assert_null(ar_strndup(&a, NULL, 4));
	cr_assert(!ar_failed(&a), "NULL in must not mark the arena");
	b = ar_memdup(&a, bin, sizeof(bin));
	cr_assert_arr_eq(b, bin, sizeof(bin));
	cr_assert_str_eq(ar_printf(&a, "%s/%d", "a", 42), "a/42");
	d = ar_calloc(&a, 32);
	for (int i = 0; i < 32; i++)
		cr_assert_eq(d[i], 0);
	ar_free(&a);
}
