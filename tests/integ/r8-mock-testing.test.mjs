// LiteLLM's test switches in a request body: mock_testing_fallbacks and
// its context-window and content-policy kin fail the first group (no
// upstream call, no retry) so that the matching list runs;
// mock_testing_rate_limit_error fails every attempt with a 429;
// mock_timeout waits the request's timeout and fails with a 408.  The
// messages are LiteLLM's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closingTest, deployment, settings, setup } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('m', 'openai/m', mock.apiBase())}
${deployment('third', 'openai/third', mock.apiBase())}
${deployment('big', 'openai/big', mock.apiBase())}
${deployment('safe', 'openai/safe', mock.apiBase())}
${deployment('lonely', 'openai/lonely', mock.apiBase())}
${settings({ retries: null, router: `
  disable_cooldowns: true  # cooldowns are tested on their own (r8-cooldown)
  num_retries: 1
  fallbacks: [{"m": ["third"]}]
  context_window_fallbacks: [{"m": ["big"]}]
  content_policy_fallbacks: [{"m": ["safe"]}]` })}`);

const ask = (model, extra = {}) => env.lx.chat({ model,
    messages: [{ role: 'user', content: 'x' }], ...extra });
const upstreamModels = async () =>
    (await env.mock.chatRequests()).map((q) => q.json.model);

for (const [sw, to] of [['mock_testing_fallbacks', 'third'],
    ['mock_testing_context_fallbacks', 'big'],
    ['mock_testing_content_policy_fallbacks', 'safe']]) {
	test(`${sw} goes straight to its list`, { timeout: 30000 },
	    async () => {
		await env.mock.clear();
		const r = await ask('m', { [sw]: true });
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(await upstreamModels(), [to]);
		assert.equal(r.headers['x-litellm-model-group'], to);
		assert.equal(r.headers['x-litellm-attempted-fallbacks'], '1');
		assert.equal(r.headers['x-litellm-attempted-retries'], '0');
		assert.ok(!(await env.mock.chatRequests()).some((q) =>
		    sw in q.json), 'the switch is never forwarded');
	});
}

test('mock_testing_fallbacks without a list: LiteLLM\'s message',
    { timeout: 30000 }, async () => {
	await env.mock.clear();
	const r = await ask('lonely', { mock_testing_fallbacks: true });
	assert.equal(r.status, 500, r.text);
	assert.equal(r.json.error.message, 'litellm.InternalServerError: ' +
	    'This is a mock exception for model=lonely, to trigger a ' +
	    "fallback. Fallbacks=[{'m': ['third']}]No fallback model " +
	    'group found for original model_group=lonely. ' +
	    "Fallbacks=[{'m': ['third']}]");
	assert.deepEqual(await upstreamModels(), []);
});

test('mock_testing_context_fallbacks names the list it wanted',
    { timeout: 30000 }, async () => {
	const r = await ask('lonely', { mock_testing_context_fallbacks:
	    true });
	assert.equal(r.status, 400, r.text);
	assert.equal(r.json.error.message,
	    'litellm.ContextWindowExceededError: This is a mock exception ' +
	    'for model=lonely, to trigger a fallback. ' +
	    "Context_Window_Fallbacks=[{'m': ['big']}]");
});

test('mock_testing_rate_limit_error fails every attempt with a 429',
    { timeout: 30000 }, async () => {
	await env.mock.clear();
	const r = await ask('lonely', { mock_testing_rate_limit_error:
	    true });
	assert.equal(r.status, 429, r.text);
	assert.equal(r.json.error.message, 'litellm.RateLimitError: This ' +
	    'is a mock exception for model=lonely, to trigger a rate limit ' +
	    'error.No fallback model group found for original ' +
	    "model_group=lonely. Fallbacks=[{'m': ['third']}]");
	assert.equal(r.headers['x-litellm-attempted-retries'], '1');
	assert.deepEqual(await upstreamModels(), []);
});

test('mock_testing_rate_limit_error also fails the fallbacks',
    { timeout: 30000 }, async () => {
	const r = await ask('m', { mock_testing_rate_limit_error: true });
	assert.equal(r.status, 429, r.text);
	assert.match(r.json.error.message, /^litellm\.RateLimitError: This is a mock exception for model=m, to trigger a rate limit error\.\. Received Model Group=m\nAvailable Model Group Fallbacks=\['third'\]\nError doing the fallback: litellm\.RateLimitError: This is a mock exception for model=third/);
	assert.equal(r.headers['x-litellm-attempted-fallbacks'], '1');
});

test('mock_timeout waits the request\'s timeout, then a 408',
    { timeout: 30000 }, async () => {
	await env.mock.clear();
	const t0 = Date.now();
	const r = await ask('lonely', { mock_timeout: true, timeout: 0.4,
	    num_retries: 0 });
	const took = Date.now() - t0;
	assert.equal(r.status, 408, r.text);
	assert.match(r.json.error.message,
	    /^litellm\.Timeout: This is a mock timeout error(No fallback|$)/);
	assert.ok(took >= 390 && took < 3000, `took ${took} ms`);
	assert.deepEqual(await upstreamModels(), []);
});

test('mock_timeout is retried like a timeout', { timeout: 30000 },
    async () => {
	const t0 = Date.now();
	const r = await ask('lonely', { mock_timeout: true, timeout: 0.2,
	    num_retries: 1 });
	assert.equal(r.status, 408, r.text);
	assert.equal(r.headers['x-litellm-attempted-retries'], '1');
	assert.ok(Date.now() - t0 >= 390);
});

closingTest(env);
