/*
 * libFuzzer entry for the config loader: any YAML must load or fail with
 * diagnostics, never crash or leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cfg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char		 path[64];
	struct cfg_diags	 d;
	struct cfg		*c;
	FILE			*f;

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/llmux-fuzz-%d.yaml",
		    (int)getpid());
	if ((f = fopen(path, "w")) == NULL)
		return (0);
	fwrite(data, 1, size, f);
	fclose(f);
	cfg_diags_init(&d);
	c = cfg_load(path, &d);
	if (c == NULL && d.nerrors == 0)
		abort();
	cfg_free(c);
	cfg_diags_free(&d);
	return (0);
}
