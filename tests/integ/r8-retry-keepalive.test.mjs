// With llmux_settings.sse_keepalive, a keep-alive comment starts a
// stream, after which nothing may be tried again.  A stream waiting to
// be retried must therefore not send one: the keep-alive pauses during
// the wait, and the retries end in the usual JSON error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closingTest, deployment, settings, setup } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('busy', 'openai/busy',
    `${mock.base}/x/status=429,retry_after=1/v1`)}
${settings({ retries: 1, router: `
  disable_cooldowns: true  # cooldowns are tested on their own`, llmux: `
  sse_keepalive: 0.2` })}`);

test('no keep-alive comment during a retry wait', { timeout: 30000 },
    async () => {
	await env.mock.clear();
	const r = await env.lx.chat({ model: 'busy', stream: true,
	    messages: [{ role: 'user', content: 'x' }] });
	assert.equal(r.status, 429, r.text);
	assert.match(r.headers['content-type'], /application\/json/);
	assert.match(r.json.error.message, /^litellm\.RateLimitError: /);
	assert.equal(r.headers['x-litellm-attempted-retries'], '1');
	assert.equal((await env.mock.chatRequests()).length, 2);
});

test('the worker still serves streams afterwards', { timeout: 30000 },
    async () => {
	const r = await env.lx.chat({ model: 'busy', stream: true,
	    messages: [{ role: 'user', content: 'x' }], num_retries: 0 });
	assert.equal(r.status, 429, r.text);
});

closingTest(env);
