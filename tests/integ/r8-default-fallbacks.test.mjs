// default_fallbacks catch a failing group that has no fallbacks of its
// own, but never a context-window or content-policy error once lists of
// that kind are set: those are answered as they are, as in LiteLLM.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closingTest, deployment, settings, setup } from './lib.mjs';

const enc = encodeURIComponent;
const CTX = "This model's maximum context length is 8192 tokens";
const POLICY = 'Your request was rejected: content_policy_violation';

const env = await setup((mock) => {
	const bad = (d) => `${mock.base}/x/${d}/v1`;
	return `
model_list:
${deployment('lonely429', 'openai/lonely429', bad('status=429'))}
${deployment('lonely-ctx', 'openai/lonely-ctx',
    bad(`status=400,message=${enc(CTX)}`))}
${deployment('lonely-pol', 'openai/lonely-pol',
    bad(`status=400,message=${enc(POLICY)}`))}
${deployment('other', 'openai/other', mock.apiBase())}
${deployment('catchall', 'openai/catchall', mock.apiBase())}
${settings({ retries: null, litellm: `
  default_fallbacks: ["catchall"]`, router: `
  disable_cooldowns: true  # cooldowns are tested on their own (r8-cooldown)
  num_retries: 1
  context_window_fallbacks: [{"other": ["catchall"]}]
  content_policy_fallbacks: [{"other": ["catchall"]}]` })}`;
});

const ask = (model) => env.lx.chat({ model,
    messages: [{ role: 'user', content: 'x' }] });
const upstreamModels = async () =>
    (await env.mock.chatRequests()).map((q) => q.json.model);

test('default_fallbacks catch a group without a list of its own',
    { timeout: 30000 }, async () => {
	await env.mock.clear();
	const r = await ask('lonely429');
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(await upstreamModels(),
	    ['lonely429', 'lonely429', 'catchall']);
	assert.equal(r.headers['x-litellm-model-group'], 'catchall');
	assert.equal(r.headers['x-litellm-attempted-fallbacks'], '1');
});

test('a context-window error never goes to default_fallbacks',
    { timeout: 30000 }, async () => {
	await env.mock.clear();
	const r = await ask('lonely-ctx');
	assert.equal(r.status, 400, r.text);
	assert.deepEqual(await upstreamModels(), ['lonely-ctx']);
	assert.equal(r.json.error.message,
	    'litellm.ContextWindowExceededError: litellm.BadRequestError: ' +
	    `ContextWindowExceededError: OpenAIException - ${CTX}`);
	assert.equal(r.headers['x-litellm-attempted-fallbacks'], '0');
});

test('a content-policy error never goes to default_fallbacks',
    { timeout: 30000 }, async () => {
	await env.mock.clear();
	const r = await ask('lonely-pol');
	assert.equal(r.status, 400, r.text);
	assert.deepEqual(await upstreamModels(), ['lonely-pol']);
	assert.match(r.json.error.message,
	    /^litellm\.ContentPolicyViolationError: /);
});

closingTest(env);
