// Timeouts in LiteLLM's order (§3.7): a request's timeout or
// request_timeout over the deployment's, and for a stream the request's
// stream_timeout (body or x-litellm-stream-timeout header) over the
// deployment's stream_timeout.  A timeout is retried like any error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MASTER_KEY, closingTest, deployment, settings, setup } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('slow', 'openai/slow', mock.apiBase(), `
      timeout: 20
      stream_timeout: 20`)}
${deployment('fast-out', 'openai/fast-out', mock.apiBase(), `
      timeout: 0.3`)}
${settings()}`);

const SLOW = 'x [[mock:latency_ms=1500,headers_late=1]]';
const ask = (model, extra = {}, opts = {}) => env.lx.chat({ model,
    messages: [{ role: 'user', content: SLOW }], ...extra }, opts);

async function timed(p) {
	const t0 = Date.now();
	const r = await p;
	return { r, ms: Date.now() - t0 };
}

test('request_timeout in the body beats the deployment\'s timeout',
    { timeout: 30000 }, async () => {
	const { r, ms } = await timed(ask('slow', { request_timeout: 0.3 }));
	assert.equal(r.status, 408, r.text);
	assert.match(r.json.error.message, /timeout value=0\.3/);
	assert.ok(ms < 1200, `took ${ms} ms`);
});

test('the deployment\'s timeout applies without a request value',
    { timeout: 30000 }, async () => {
	const { r, ms } = await timed(ask('fast-out'));
	assert.equal(r.status, 408, r.text);
	assert.ok(ms < 1200, `took ${ms} ms`);
});

test('stream_timeout in the body beats the deployment\'s',
    { timeout: 30000 }, async () => {
	const { r, ms } = await timed(ask('slow', { stream: true,
	    stream_timeout: 0.3 }));
	assert.equal(r.status, 408, r.text);
	assert.match(r.json.error.message, /timeout value=0\.3/);
	assert.ok(ms < 1200, `took ${ms} ms`);
});

test('x-litellm-stream-timeout sets a stream\'s timeout',
    { timeout: 30000 }, async () => {
	const { r, ms } = await timed(ask('slow', { stream: true }, {
	    headers: { 'content-type': 'application/json',
	    authorization: `Bearer ${MASTER_KEY}`,
	    'x-litellm-stream-timeout': '0.3' } }));
	assert.equal(r.status, 408, r.text);
	assert.ok(ms < 1200, `took ${ms} ms`);
});

test('a stream_timeout out of range is refused', { timeout: 30000 },
    async () => {
	const r = await ask('slow', { stream: true, stream_timeout: 1e300 });
	assert.equal(r.status, 400, r.text);
	assert.match(r.json.error.message, /timeout must be between/);
});

test('a timeout is retried: the headers count it', { timeout: 30000 },
    async () => {
	await env.mock.clear();
	const r = await ask('fast-out', { num_retries: 1 });
	assert.equal(r.status, 408, r.text);
	assert.equal(r.headers['x-litellm-attempted-retries'], '1');
	assert.equal((await env.mock.chatRequests()).length, 2);
});

closingTest(env);
