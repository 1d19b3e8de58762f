/*
 * The classification of upstream errors into LiteLLM's exception
 * classes (rly_classify): the status gives the class, and a 4xx text
 * that says the prompt is too long, or names a content filter or
 * policy, gives ContextWindowExceededError or
 * ContentPolicyViolationError as LiteLLM's exception mapping does for
 * OpenAI-compatible providers.
 */
#include <criterion/criterion.h>

#include "relay.h"

#define CTX	"ContextWindowExceededError"
#define POLICY	"ContentPolicyViolationError"

Test(relay, status_gives_the_class)
{
	cr_assert_str_eq(rly_classify(400, "bad"), "BadRequestError");
	cr_assert_str_eq(rly_classify(401, NULL), "AuthenticationError");
	cr_assert_str_eq(rly_classify(403, "no"), "PermissionDeniedError");
	cr_assert_str_eq(rly_classify(404, "gone"), "NotFoundError");
	cr_assert_str_eq(rly_classify(408, NULL), "Timeout");
	cr_assert_str_eq(rly_classify(422, "x"), "UnprocessableEntityError");
	cr_assert_str_eq(rly_classify(429, "slow"), "RateLimitError");
	cr_assert_str_eq(rly_classify(500, "x"), "InternalServerError");
	cr_assert_str_eq(rly_classify(502, NULL), "BadGatewayError");
	cr_assert_str_eq(rly_classify(503, NULL), "ServiceUnavailableError");
}

Test(relay, context_window_texts)
{
	static const char *const texts[] = {
		"This model's maximum context length is 8192 tokens. "
		    "However, your messages resulted in 9000 tokens.",
		"context_length_exceeded",
		"Input is longer than the model's context length",
		"request exceeds the available context size",
		"String too long. Expected a string with maximum length "
		    "1048576",
		"prompt is too long: 210000 tokens > 200000 maximum",
		"Requested tokens exceed context limit",
		"The input tokens exceed the configured limit of 272000",
		"MAXIMUM CONTEXT LENGTH reached",
	};
	size_t	i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		cr_assert_str_eq(rly_classify(400, texts[i]), CTX, "%s",
		    texts[i]);
	/* Any 4xx but the ones whose class says more. */
	cr_assert_str_eq(rly_classify(413, texts[1]), CTX);
	cr_assert_str_eq(rly_classify(422, texts[0]), CTX);
}

Test(relay, content_policy_texts)
{
	static const char *const texts[] = {
		"Your request was rejected as a result of our safety system. "
		    "content_policy_violation",
		"The response was filtered due to the prompt triggering "
		    "Azure OpenAI's content management policy.",
		"ResponsibleAIPolicyViolation",
		"finish_reason: content_filter",
		"This request violates our content policy.",
	};
	size_t	i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		cr_assert_str_eq(rly_classify(400, texts[i]), POLICY, "%s",
		    texts[i]);
}

Test(relay, class_statuses_are_kept)
{
	const char	*t = "maximum context length; content policy";

	/* A rate limit or auth failure mentioning either stays what it is. */
	cr_assert_str_eq(rly_classify(429, t), "RateLimitError");
	cr_assert_str_eq(rly_classify(401, t), "AuthenticationError");
	cr_assert_str_eq(rly_classify(403, t), "PermissionDeniedError");
	cr_assert_str_eq(rly_classify(404, t), "NotFoundError");
	/* A server error is never a context-window error. */
	cr_assert_str_eq(rly_classify(500, t), "InternalServerError");
	cr_assert_str_eq(rly_classify(503, t), "ServiceUnavailableError");
	/* Unrelated 400s. */
	cr_assert_str_eq(rly_classify(400, "Invalid value for 'temperature'"),
	    "BadRequestError");
	cr_assert_str_eq(rly_classify(400, ""), "BadRequestError");
	cr_assert_str_eq(rly_classify(400, NULL), "BadRequestError");
}
