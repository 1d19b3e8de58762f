/*
 * Where the caller's key is read from, in LiteLLM's order, and the
 * constant-time comparison.
 */
#include <string.h>
#include <sys/queue.h>

#include <criterion/criterion.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "arena.h"
#include "auth.h"

static struct evkeyvalq	 hdrs;
static struct arena	 ar;

static void
setup(void)
{
	TAILQ_INIT(&hdrs);
	ar_init(&ar, 0);
}

static void
teardown(void)
{
	evhttp_clear_headers(&hdrs);
	ar_free(&ar);
}

TestSuite(auth, .init = setup, .fini = teardown);

static enum auth_found
get(const char *custom, const char **key)
{
	return (auth_key(&hdrs, custom, &ar, key));
}

Test(auth, no_header_is_none)
{
	const char	*k;

	evhttp_add_header(&hdrs, "Content-Type", "application/json");
	cr_assert_eq(get(NULL, &k), AUTH_NONE);
}

Test(auth, bearer_both_cases)
{
	const char	*k;

	evhttp_add_header(&hdrs, "authorization", "Bearer sk-one");
	cr_assert_eq(get(NULL, &k), AUTH_KEY);
	cr_assert_str_eq(k, "sk-one");
	evhttp_clear_headers(&hdrs);
	evhttp_add_header(&hdrs, "Authorization", "bearer sk-two");
	cr_assert_eq(get(NULL, &k), AUTH_KEY);
	cr_assert_str_eq(k, "sk-two");
}

Test(auth, other_scheme_is_malformed)
{
	const char	*k;

	evhttp_add_header(&hdrs, "Authorization", "Token sk-one");
	cr_assert_eq(get(NULL, &k), AUTH_MALFORMED);
	evhttp_clear_headers(&hdrs);
	evhttp_add_header(&hdrs, "Authorization", "sk-one");
	cr_assert_eq(get(NULL, &k), AUTH_MALFORMED);
}

Test(auth, basic_takes_the_password)
{
	const char	*k;

	/* base64("user:sk-basic") */
	evhttp_add_header(&hdrs, "Authorization", "Basic dXNlcjpzay1iYXNpYw==");
	cr_assert_eq(get(NULL, &k), AUTH_KEY);
	cr_assert_str_eq(k, "sk-basic");
}

Test(auth, litellm_header_wins_over_authorization)
{
	const char	*k;

	evhttp_add_header(&hdrs, "Authorization", "Bearer sk-upstream");
	evhttp_add_header(&hdrs, "x-litellm-api-key", "Bearer sk-proxy");
	cr_assert_eq(get(NULL, &k), AUTH_KEY);
	cr_assert_str_eq(k, "sk-proxy");
}

Test(auth, azure_anthropic_google_headers)
{
	static const char *names[] = { "api-key", "x-api-key",
	    "x-goog-api-key", "Ocp-Apim-Subscription-Key" };
	const char	*k;
	size_t		 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		evhttp_clear_headers(&hdrs);
		evhttp_add_header(&hdrs, names[i], "sk-h");
		cr_assert_eq(get(NULL, &k), AUTH_KEY, "%s", names[i]);
		cr_assert_str_eq(k, "sk-h");
	}
}

Test(auth, authorization_before_api_key)
{
	const char	*k;

	evhttp_add_header(&hdrs, "api-key", "sk-azure");
	evhttp_add_header(&hdrs, "Authorization", "Bearer sk-bearer");
	cr_assert_eq(get(NULL, &k), AUTH_KEY);
	cr_assert_str_eq(k, "sk-bearer");
}

Test(auth, custom_header_replaces_lookup)
{
	const char	*k;

	evhttp_add_header(&hdrs, "Authorization", "Bearer sk-ignored");
	cr_assert_eq(get("X-My-Key", &k), AUTH_NONE);
	evhttp_add_header(&hdrs, "X-My-Key", "Bearer sk-custom");
	cr_assert_eq(get("X-My-Key", &k), AUTH_KEY);
	cr_assert_str_eq(k, "sk-custom");
}

Test(auth, aws_sigv4_form)
{
	const char	*k;

	evhttp_add_header(&hdrs, "Authorization",
	    "AWS4-HMAC-SHA256 Credential=Bearer sk-aws/20240101/us-east-1");
	cr_assert_eq(get(NULL, &k), AUTH_KEY);
	cr_assert_str_eq(k, "sk-aws");
}

Test(auth, equal_compares_whole_strings)
{
	cr_assert(auth_equal("sk-abc", 6, "sk-abc", 6));
	cr_assert_not(auth_equal("sk-abc", 6, "sk-abd", 6));
	cr_assert_not(auth_equal("sk-abc", 6, "sk-abcd", 7));
	cr_assert_not(auth_equal("sk-abcd", 7, "sk-abc", 6));
	cr_assert_not(auth_equal("", 0, "sk", 2));
	cr_assert(auth_equal("", 0, "", 0));
}
