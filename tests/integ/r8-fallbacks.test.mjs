// Fallbacks: after a group's retries, the list its error class chooses
// is tried in order, each group with num_retries of its own (and, when
// it fails, with its own list), and the headers say how far it went.
// Context-window and content-policy errors take their own lists; a
// request's own fallbacks list replaces the config's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closingTest, deployment, settings, setup } from './lib.mjs';

const CTX = "This model's maximum context length is 8192 tokens";
const POLICY = 'Your request was rejected: content_policy_violation';

const enc = encodeURIComponent;
const FB = '[{"primary": ["second", "third"]}, {"broken": ["nest1"]}, ' +
    '{"nest1": ["third"]}, {"doomed": ["second"]}, {"ctx": ["general"]}, ' +
    '{"pol": ["general"]}, {"small500": ["general"]}]';
// The same as LiteLLM prints it (a Python list of dicts).
const FB_REPR = FB.replace(/"/g, "'");
const env = await setup((mock) => {
	const bad = (d) => `${mock.base}/x/${d}/v1`;
	return `
model_list:
${deployment('primary', 'openai/primary', bad('status=500'))}
${deployment('second', 'openai/second', bad('status=503'))}
${deployment('third', 'openai/third', mock.apiBase(), `
    model_info:
      id: dep-third`)}
${deployment('ctx', 'openai/ctx', bad(`status=400,message=${enc(CTX)}`))}
${deployment('pol', 'openai/pol', bad(`status=400,message=${enc(POLICY)}`))}
${deployment('small500', 'openai/small500', bad('status=500'))}
${deployment('nest1', 'openai/nest1', bad('status=502'))}
${deployment('doomed', 'openai/doomed', bad('status=500'))}
${deployment('big', 'openai/big', mock.apiBase())}
${deployment('safe', 'openai/safe', mock.apiBase())}
${deployment('general', 'openai/general', mock.apiBase())}
${deployment('lonely', 'openai/lonely', mock.apiBase())}
${deployment('broken', 'openai/broken', bad('status=500'))}
${settings({ retries: null, router: `
  disable_cooldowns: true  # cooldowns are tested on their own (r8-cooldown)
  num_retries: 1
  fallbacks: ${FB}
  context_window_fallbacks: [{"ctx": ["big"]}, {"small500": ["big"]}]
  content_policy_fallbacks: [{"pol": ["safe"]}, {"small500": ["safe"]}]` })}`;
});

const ask = (model, content, extra = {}) => env.lx.chat({ model,
    messages: [{ role: 'user', content }], ...extra });
const upstreamModels = async () =>
    (await env.mock.chatRequests()).map((q) => q.json.model);

test('a fallback chain is tried in order with num_retries each',
    { timeout: 30000 }, async () => {
	await env.mock.clear();
	const r = await ask('primary', 'x');
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(await upstreamModels(),
	    ['primary', 'primary', 'second', 'second', 'third']);
	assert.equal(r.headers['x-litellm-attempted-fallbacks'], '2');
	assert.equal(r.headers['x-litellm-attempted-retries'], '0');
	assert.equal(r.headers['x-litellm-max-retries'], '1');
	assert.equal(r.headers['x-litellm-model-group'], 'third');
	assert.equal(r.headers['x-litellm-model-id'], 'dep-third');
	// As in LiteLLM, the answer names the group that gave it.
	assert.equal(r.json.model, 'third');
});

test('a fallback that fails takes its own fallbacks', { timeout: 30000 },
    async () => {
	await env.mock.clear();
	const r = await ask('broken', 'x');
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(await upstreamModels(),
	    ['broken', 'broken', 'nest1', 'nest1', 'third']);
	assert.equal(r.headers['x-litellm-model-group'], 'third');
	// LiteLLM's outermost level sets the header last: one group.
	assert.equal(r.headers['x-litellm-attempted-fallbacks'], '1');
});

test('when every fallback fails, the first error says why',
    { timeout: 30000 }, async () => {
	await env.mock.clear();
	const r = await ask('doomed', 'x');
	assert.equal(r.status, 500, r.text);
	assert.deepEqual(await upstreamModels(),
	    ['doomed', 'doomed', 'second', 'second']);
	assert.equal(r.json.error.message,
	    'litellm.InternalServerError: InternalServerError: ' +
	    'OpenAIException - mock error 500. Received Model Group=doomed' +
	    "\nAvailable Model Group Fallbacks=['second']" +
	    '\nError doing the fallback: litellm.ServiceUnavailableError: ' +
	    'ServiceUnavailableError: OpenAIException - mock error 503' +
	    'No fallback model group found for original model_group=' +
	    `second. Fallbacks=${FB_REPR}`);
	assert.equal(r.headers['x-litellm-attempted-fallbacks'], '1');
});

test('a context-window error takes context_window_fallbacks, no retry',
    { timeout: 30000 }, async () => {
	await env.mock.clear();
	const r = await ask('ctx', 'x');
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(await upstreamModels(), ['ctx', 'big']);
	assert.equal(r.headers['x-litellm-model-group'], 'big');
	assert.equal(r.headers['x-litellm-attempted-fallbacks'], '1');
});

test('a content-policy error takes content_policy_fallbacks',
    { timeout: 30000 }, async () => {
	await env.mock.clear();
	const r = await ask('pol', 'x');
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(await upstreamModels(), ['pol', 'safe']);
	assert.equal(r.headers['x-litellm-model-group'], 'safe');
});

test('other errors of the same group take the regular fallbacks',
    { timeout: 30000 }, async () => {
	await env.mock.clear();
	const r = await ask('small500', 'x');
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(await upstreamModels(),
	    ['small500', 'small500', 'general']);
});

test('client-side fallbacks replace the config\'s', { timeout: 30000 },
    async () => {
	await env.mock.clear();
	const r = await ask('primary', 'x', { fallbacks: ['safe'] });
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(await upstreamModels(),
	    ['primary', 'primary', 'safe']);
	assert.equal(r.headers['x-litellm-attempted-fallbacks'], '1');
	assert.ok(!(await env.mock.chatRequests()).some((q) =>
	    'fallbacks' in q.json), 'fallbacks never forwarded');
});

test('a client-side fallback entry may carry its own messages',
    { timeout: 30000 }, async () => {
	await env.mock.clear();
	const r = await ask('primary', 'original', { temperature: 0.5,
	    fallbacks: [{ model: 'safe', messages: [{ role: 'user',
	    content: 'replaced' }] }, 'lonely'] });
	assert.equal(r.status, 200, r.text);
	const q = await env.mock.chatRequests();
	assert.deepEqual(q.map((x) => x.json.model),
	    ['primary', 'primary', 'safe']);
	assert.equal(q[0].json.messages[0].content, 'original');
	assert.equal(q[2].json.messages[0].content, 'replaced');
	assert.equal(q[2].json.temperature, 0.5);
});

test('disable_fallbacks: true answers the group\'s own error',
    { timeout: 30000 }, async () => {
	await env.mock.clear();
	const r = await ask('primary', 'x', { disable_fallbacks: true });
	assert.equal(r.status, 500, r.text);
	assert.deepEqual(await upstreamModels(), ['primary', 'primary']);
});

test('a stream falls back before its first byte', { timeout: 30000 },
    async () => {
	await env.mock.clear();
	const r = await ask('primary', 'x', { stream: true });
	assert.equal(r.status, 200, r.text);
	assert.match(r.headers['content-type'], /text\/event-stream/);
	assert.match(r.text, /data: \[DONE\]/);
	assert.equal(r.headers['x-litellm-attempted-fallbacks'], '2');
	assert.equal(r.headers['x-litellm-model-group'], 'third');
	assert.deepEqual(await upstreamModels(),
	    ['primary', 'primary', 'second', 'second', 'third']);
});

closingTest(env);
