/*
 * auth.h: stage 1 of the request path: who is calling (auth.c).
 *
 * The key comes from the headers LiteLLM reads, in LiteLLM's order; it is
 * compared with the master key in constant time.  Keys are never logged.
 */
#ifndef AUTH_H
#define AUTH_H

#include <stddef.h>

#include "llmux.h"

struct evkeyvalq;
struct arena;

/* What auth_key() found. */
enum auth_found {
	AUTH_NONE,		/* no key header at all */
	AUTH_MALFORMED,		/* Authorization without Bearer */
	AUTH_KEY,		/* *key holds it */
};

/*
 * Extract the caller's key from headers.  custom names a header that
 * replaces the lookup (general_settings.litellm_key_header_name) or is
 * NULL.  The key is copied into a when it must be decoded.
 */
enum auth_found auth_key(const struct evkeyvalq *headers, const char *custom,
	    struct arena *a, const char **key);
/* Constant-time equality of two byte strings (length leaks, not content). */
int	auth_equal(const char *a, size_t alen, const char *b, size_t blen);
/* The auth stage: LX_OK to go on, LX_ERR when it has replied. */
int	auth_run(struct req *) LX_MUSTCHECK;

#endif
