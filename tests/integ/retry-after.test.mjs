// An upstream 429 with retry-after: the header reaches the client.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiError, closingTest, deployment, headerCount, settings, setup }
    from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings()}`);

test('retry-after of a 429 is passed back', { timeout: 30000 },
    async () => {
	const e = await apiError(env.lx.client().chat.completions.create({
	    model: 'gpt-test', messages: [{ role: 'user',
	    content: 'x [[mock:status=429,retry_after=17]]' }] }));
	assert.equal(e.status, 429);
	assert.equal(e.headers.get('retry-after'), '17');
});

test('retry-after on a 429 before a stream starts', { timeout: 30000 },
    async () => {
	const r = await env.lx.chat({ model: 'gpt-test', stream: true,
	    messages: [{ role: 'user',
	    content: 'x [[mock:status=429,retry_after=5]]' }] });
	assert.equal(r.status, 429);
	assert.equal(r.headers['retry-after'], '5');
	assert.equal(headerCount(r.rawHeaders, 'retry-after'), 1);
});

test('no retry-after when the upstream sent none', { timeout: 30000 },
    async () => {
	const r = await env.lx.chat({ model: 'gpt-test', messages: [{
	    role: 'user', content: 'x [[mock:status=429]]' }] });
	assert.equal(r.status, 429);
	assert.equal(r.headers['retry-after'], undefined);
});

closingTest(env);
