/*
 * auth.c: the auth stage.
 *
 * Without a master key every caller is an admin, as in LiteLLM.  With one,
 * the key must match it; virtual keys (hashed, looked up in LMDB) extend
 * this stage when the key store lands.  A key that is not the master key
 * while no database is configured is refused with 401, where LiteLLM
 * answers 400 "No connected db.": a client with a wrong key should be told
 * its key is wrong.
 */
#include <string.h>
#include <strings.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "arena.h"
#include "auth.h"
#include "cfg.h"
#include "err.h"
#include "req.h"

int
auth_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	volatile unsigned char	d = alen != blen;
	size_t			i, n = alen > blen ? alen : blen;

	/*
	 * Walk the longer length whatever the content: the time depends on
	 * the lengths only, never on how long a prefix matches.
	 */
	for (i = 0; i < n; i++)
		d |= (unsigned char)((i < alen ? a[i] : 0) ^
		    (i < blen ? b[i] : 0));
	return (d == 0);
}

static const char *
auth_strip_scheme(const char *v)
{
	if (strncasecmp(v, "Bearer ", 7) == 0)
		return (v + 7);
	return (v);
}

static int
auth_b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return (c - 'A');
	if (c >= 'a' && c <= 'z')
		return (c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (c - '0' + 52);
	if (c == '+' || c == '-')
		return (62);
	if (c == '/' || c == '_')
		return (63);
	return (-1);
}

/*
 * "Basic base64(user:password)": LiteLLM takes the password as the key
 * (the user part is ignored); a value without ':' is taken whole.
 */
static const char *
auth_basic(const char *v, struct arena *a)
{
	size_t		 n = strlen(v), o = 0;
	unsigned	 acc = 0;
	int		 bits = 0, x;
	char		*out, *colon;

	if ((out = ar_alloc(a, n + 1)) == NULL)
		return (NULL);
	for (; *v != '\0' && *v != '='; v++) {
		if ((x = auth_b64val((unsigned char)*v)) < 0)
			return ("");
		acc = (acc << 6) | (unsigned)x;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	if ((colon = strchr(out, ':')) != NULL)
		return (colon + 1);
	return (out);
}

enum auth_found
auth_key(const struct evkeyvalq *h, const char *custom, struct arena *a,
    const char **key)
{
	const char	*v;

	*key = NULL;
	if (custom != NULL) {
		if ((v = evhttp_find_header(h, custom)) == NULL)
			return (AUTH_NONE);
		*key = auth_strip_scheme(v);
		return (AUTH_KEY);
	}
	if ((v = evhttp_find_header(h, "x-litellm-api-key")) != NULL) {
		if (strncasecmp(v, "Basic ", 6) == 0)
			v += 6;
		*key = auth_strip_scheme(v);
		return (AUTH_KEY);
	}
	if ((v = evhttp_find_header(h, "Authorization")) != NULL) {
		if (strncmp(v, "Bearer ", 7) == 0 ||
		    strncmp(v, "bearer ", 7) == 0) {
			*key = v + 7;
			return (AUTH_KEY);
		}
		if (strncasecmp(v, "Basic ", 6) == 0) {
			*key = auth_basic(v + 6, a);
			return (*key != NULL && **key != '\0' ? AUTH_KEY :
			    AUTH_MALFORMED);
		}
		/* AWS SigV4 form some clients send: Credential=Bearer <key>/ */
		if ((v = strstr(v, "Credential=Bearer ")) != NULL) {
			const char *k = v + 18, *e = strchr(k, '/');

			*key = e ? ar_strndup(a, k, (size_t)(e - k)) : k;
			return (*key != NULL ? AUTH_KEY : AUTH_MALFORMED);
		}
		return (AUTH_MALFORMED);
	}
	if ((v = evhttp_find_header(h, "api-key")) != NULL ||
	    (v = evhttp_find_header(h, "x-api-key")) != NULL ||
	    (v = evhttp_find_header(h, "x-goog-api-key")) != NULL ||
	    (v = evhttp_find_header(h, "Ocp-Apim-Subscription-Key")) != NULL) {
		*key = v;
		return (AUTH_KEY);
	}
	return (AUTH_NONE);
}

int
auth_run(struct req *r)
{
	const char	*mk = r->cfg->general.master_key, *key;
	struct evkeyvalq *h;

	if (mk == NULL)
		return (LX_OK);
	h = evhttp_request_get_input_headers(r->ev);
	switch (auth_key(h, r->cfg->general.litellm_key_header_name, &r->ar,
	    &key)) {
	case AUTH_NONE:
		err_reply(r, 401, "auth_error", "None",
		    "Authentication Error, No api key passed in.");
		return (LX_ERR);
	case AUTH_KEY:
		if (*key != '\0')
			break;
		/* An empty key is a malformed one. */
		/* FALLTHROUGH */
	case AUTH_MALFORMED:
		err_reply(r, 401, "auth_error", "None",
		    "Authentication Error, Malformed API Key passed in. "
		    "Ensure Key has `Bearer ` prefix.");
		return (LX_ERR);
	}
	if (auth_equal(key, strlen(key), mk, strlen(mk)))
		return (LX_OK);
	err_reply(r, 401, "auth_error", "None",
	    "Authentication Error, Invalid proxy server token passed.");
	return (LX_ERR);
}
