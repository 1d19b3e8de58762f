/*
 * libFuzzer entry for the request JSON scanner: any bytes must be either
 * refused or indexed with every member inside the input, and every string
 * member must unescape.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "arena.h"
#include "json.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct js_mem	 m[16];
	struct arena	 a;
	const char	*p = (const char *)data;
	size_t		 n, i, errpos;

	if (js_object(p, size, m, 16, &n, NULL, &errpos) != LX_OK) {
		if (errpos > size)
			abort();
		return (0);
	}
	if (js_valid(p, size) != LX_OK)
		abort();
	ar_init(&a, 0);
	if (n > 16)
		abort();
	for (i = 0; i < n; i++) {
		if (m[i].val < p || m[i].val + m[i].vlen > p + size)
			abort();
		if (m[i].type == JS_STR &&
		    js_string(&a, m[i].val, m[i].vlen) == NULL)
			abort();
		if (m[i].type == JS_OBJ) {
			struct js_mem	sub[4];
			size_t		sn;

			if (js_object(m[i].val, m[i].vlen, sub, 4, &sn,
			    NULL, NULL) != LX_OK)
				abort();
		}
	}
	ar_free(&a);
	return (0);
}
