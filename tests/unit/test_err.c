/*
 * Error bodies: LiteLLM's {"error":{"message","type","param","code"}}
 * for each status and type, escaping of the message, and the exception
 * class names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <event2/buffer.h>
#include <json-c/json.h>

#include "err.h"

/* The body err_body() writes, as a string the caller frees. */
static char *
body(int status, const char *type, const char *param, const char *msg)
{
	struct evbuffer	*b = evbuffer_new();
	size_t		 n;
	char		*s;

	cr_assert_not_null(b);
	err_body(b, status, type, param, msg);
	n = evbuffer_get_length(b);
	s = malloc(n + 1);
	cr_assert_not_null(s);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	evbuffer_free(b);
	return (s);
}

static const char *
member(struct json_object *e, const char *key)
{
	struct json_object	*v;

	cr_assert(json_object_object_get_ex(e, key, &v), "no %s", key);
	return (v == NULL ? NULL : json_object_get_string(v));
}

Test(err, body_is_litellm_shape)
{
	char	*s = body(400, "invalid_request_error", "model", "bad model");

	cr_assert_str_eq(s, "{\"error\":{\"message\":\"bad model\",\"type\":"
	    "\"invalid_request_error\",\"param\":\"model\",\"code\":\"400\"}}");
	free(s);
}

Test(err, null_type_and_param)
{
	char	*s = body(500, NULL, NULL, "boom");

	cr_assert_str_eq(s, "{\"error\":{\"message\":\"boom\",\"type\":null,"
	    "\"param\":null,\"code\":\"500\"}}");
	free(s);
}

Test(err, every_status_and_type_parses)
{
	static const struct {
		int		 status;
		const char	*type;
	} t[] = {
		{ 400, "invalid_request_error" }, { 401, "auth_error" },
		{ 403, "permission_error" }, { 404, "not_found_error" },
		{ 408, "timeout" }, { 413, "invalid_request_error" },
		{ 429, "rate_limit_error" }, { 500, "internal_server_error" },
		{ 502, "bad_gateway" }, { 503, "service_unavailable" },
	};
	struct json_object	*j, *e;
	char			*s, code[8];
	size_t			 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		s = body(t[i].status, t[i].type, NULL, "m");
		j = json_tokener_parse(s);
		cr_assert_not_null(j, "not JSON: %s", s);
		cr_assert(json_object_object_get_ex(j, "error", &e));
		snprintf(code, sizeof(code), "%d", t[i].status);
		cr_assert_str_eq(member(e, "code"), code);
		cr_assert_str_eq(member(e, "type"), t[i].type);
		cr_assert_str_eq(member(e, "message"), "m");
		cr_assert_null(member(e, "param"));
		json_object_put(j);
		free(s);
	}
}

Test(err, message_is_escaped)
{
	const char		*msg = "a\"b\\c\nd\re\tf\x01g\x1f h\xc3\xa9";
	struct json_object	*j, *e;
	char			*s = body(400, "t\"", "p\\", msg);

	cr_assert_not_null(strstr(s, "\"message\":\"a\\\"b\\\\c\\nd\\re\\tf"
	    "\\u0001g\\u001f h\xc3\xa9\""), "%s", s);
	j = json_tokener_parse(s);
	cr_assert_not_null(j, "not JSON: %s", s);
	cr_assert(json_object_object_get_ex(j, "error", &e));
	cr_assert_str_eq(member(e, "message"), msg);
	cr_assert_str_eq(member(e, "type"), "t\"");
	cr_assert_str_eq(member(e, "param"), "p\\");
	json_object_put(j);
	free(s);
}

Test(err, long_message_survives)
{
	struct json_object	*j, *e;
	char			 msg[3000], *s;

	/* Longer than the stack buffer: the heap path. */
	memset(msg, '"', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	s = body(404, "not_found_error", NULL, msg);
	j = json_tokener_parse(s);
	cr_assert_not_null(j);
	cr_assert(json_object_object_get_ex(j, "error", &e));
	cr_assert_str_eq(member(e, "message"), msg);
	json_object_put(j);
	free(s);
}

Test(err, class_names)
{
	static const struct {
		int		 status;
		const char	*name;
	} t[] = {
		{ 400, "BadRequestError" }, { 401, "AuthenticationError" },
		{ 403, "PermissionDeniedError" }, { 404, "NotFoundError" },
		{ 408, "Timeout" }, { 422, "UnprocessableEntityError" },
		{ 429, "RateLimitError" }, { 502, "BadGatewayError" },
		{ 503, "ServiceUnavailableError" },
		{ 500, "InternalServerError" }, { 504, "InternalServerError" },
		{ 599, "InternalServerError" }, { 413, "BadRequestError" },
		{ 418, "BadRequestError" },
	};
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		cr_assert_str_eq(err_class(t[i].status), t[i].name, "%d",
		    t[i].status);
}
