/*
 * libFuzzer entry for the connection guard's header scan.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "hdr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hdr_info	hi;

	if (hdr_parse((const char *)data, size, &hi) == LX_OK &&
	    hi.content_length < -1)
		abort();
	return (0);
}
