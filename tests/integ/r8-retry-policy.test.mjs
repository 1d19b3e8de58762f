// router_settings.retry_policy gives a retry budget per error class over
// num_retries (BadRequestErrorRetries covering context-window errors, as
// LiteLLM's subclassing does); NotFound and an auth error in a group of
// one are never retried; litellm_settings.max_fallbacks bounds the
// nesting of fallback lists when router_settings has none.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closingTest, deployment, settings, setup } from './lib.mjs';

const CTX = encodeURIComponent("This model's maximum context length is 10");

const env = await setup((mock) => {
	const bad = (d) => `${mock.base}/x/${d}/v1`;
	return `
model_list:
${deployment('e500', 'openai/e500', bad('status=500'))}
${deployment('e429', 'openai/e429', bad('status=429'))}
${deployment('e503', 'openai/e503', bad('status=503'))}
${deployment('ctx', 'openai/ctx', bad(`status=400,message=${CTX}`))}
${deployment('e401', 'openai/e401', bad('status=401'))}
${deployment('e404', 'openai/e404', bad('status=404'))}
${deployment('ok1', 'openai/ok1', mock.apiBase())}
${deployment('ok2', 'openai/ok2', mock.apiBase())}
${settings({ retries: null, litellm: `
  max_fallbacks: 1`, router: `
  disable_cooldowns: true  # cooldowns are tested on their own (r8-cooldown)
  num_retries: 2
  fallbacks: [{"e404": ["e503", "ok1", "ok2"]}, {"e503": ["e500"]}, {"e401": ["e503"]}]
  retry_policy:
    InternalServerErrorRetries: 1
    RateLimitErrorRetries: 0
    BadRequestErrorRetries: 3` })}`;
});

const attempts = async (model, extra = {}) => {
	await env.mock.clear();
	const r = await env.lx.chat({ model, messages: [{ role: 'user',
	    content: 'x' }], ...extra });
	return { r, n: (await env.mock.chatRequests()).length,
	    seen: (await env.mock.chatRequests()).map((q) => q.json.model) };
};

test('InternalServerErrorRetries overrides num_retries',
    { timeout: 30000 }, async () => {
	const { r, n } = await attempts('e500', { num_retries: 3 });
	assert.equal(r.status, 500, r.text);
	assert.equal(n, 2);
	assert.equal(r.headers['x-litellm-max-retries'], '1');
	assert.equal(r.headers['x-litellm-attempted-retries'], '1');
});

test('RateLimitErrorRetries: 0 answers the first 429',
    { timeout: 30000 }, async () => {
	const { r, n } = await attempts('e429');
	assert.equal(r.status, 429, r.text);
	assert.equal(n, 1);
});

test('a class without a policy keeps num_retries', { timeout: 30000 },
    async () => {
	const { r, seen } = await attempts('e503');
	assert.equal(r.status, 503, r.text);
	assert.equal(seen.filter((m) => m === 'e503').length, 3);
});

test('BadRequestErrorRetries covers a context-window error',
    { timeout: 30000 }, async () => {
	const { r, n } = await attempts('ctx');
	assert.equal(r.status, 400, r.text);
	assert.match(r.json.error.message,
	    /^litellm\.ContextWindowExceededError: /);
	assert.equal(n, 4);
});

test('an auth error in a group of one is not retried',
    { timeout: 30000 }, async () => {
	const { r, seen } = await attempts('e401');
	assert.equal(r.status, 401, r.text);
	assert.equal(seen.filter((m) => m === 'e401').length, 1);
});

test('NotFound is not retried; max_fallbacks bounds the nesting',
    { timeout: 30000 }, async () => {
	const { r, seen } = await attempts('e404');
	// e503 fails at depth 1 = litellm_settings.max_fallbacks, so its
	// own list (e500) is not entered; the outer list goes on to ok1.
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(seen, ['e404', 'e503', 'e503', 'e503', 'ok1']);
	assert.equal(r.headers['x-litellm-attempted-fallbacks'], '2');
});

test('a level refused at max_fallbacks still says why', {
    timeout: 30000 }, async () => {
	const { r, seen } = await attempts('e401');
	assert.equal(r.status, 401, r.text);
	assert.deepEqual(seen, ['e401', 'e503', 'e503', 'e503']);
	const e503 = 'litellm.ServiceUnavailableError: ' +
	    'ServiceUnavailableError: OpenAIException - mock error 503';
	assert.equal(r.json.error.message, 'litellm.AuthenticationError: ' +
	    'AuthenticationError: OpenAIException - mock error 401. ' +
	    "Received Model Group=e401\nAvailable Model Group Fallbacks=" +
	    "['e503']\nError doing the fallback: " + e503 + '. Received ' +
	    "Model Group=e503\nAvailable Model Group Fallbacks=['e500']" +
	    '\nError doing the fallback: ' + e503);
});

closingTest(env);
