// x-litellm-call-id echoes a sane incoming x-litellm-call-id or
// x-request-id, and is a fresh uuid otherwise.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MASTER_KEY, closingTest, deployment, headerCount, settings,
    setup } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings()}`);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function post(headers, extra = {}) {
	return env.lx.chat({ model: 'gpt-test', ...extra,
	    messages: [{ role: 'user', content: 'x' }] }, { headers: {
	    authorization: `Bearer ${MASTER_KEY}`, ...headers } });
}

test('x-request-id is echoed as x-litellm-call-id', { timeout: 30000 },
    async () => {
	for (const id of ['req-123', 'a1B2_c3.d4:e5-f6',
	    '0f8fad5b-d9cb-469f-a165-70867728950e']) {
		const r = await post({ 'x-request-id': id });
		assert.equal(r.status, 200);
		assert.equal(r.headers['x-litellm-call-id'], id);
		assert.equal(headerCount(r.rawHeaders, 'x-litellm-call-id'),
		    1);
	}
});

test('an incoming x-litellm-call-id is echoed and wins', {
    timeout: 30000 }, async () => {
	const r = await post({ 'x-litellm-call-id': 'call-abc',
	    'x-request-id': 'req-xyz' });
	assert.equal(r.headers['x-litellm-call-id'], 'call-abc');
});

test('echoed on streams and on errors too', { timeout: 30000 },
    async () => {
	let r = await post({ 'x-request-id': 'stream-id-1' },
	    { stream: true });
	assert.equal(r.status, 200);
	assert.equal(r.headers['x-litellm-call-id'], 'stream-id-1');
	r = await post({ 'x-request-id': 'err-id-1' },
	    { model: 'no-such-model' });
	assert.equal(r.status, 400);
	assert.equal(r.headers['x-litellm-call-id'], 'err-id-1');
	r = await env.lx.chat({ model: 'gpt-test', messages: [] },
	    { headers: { 'x-request-id': 'auth-id-1' } });
	assert.equal(r.status, 401);
	assert.equal(r.headers['x-litellm-call-id'], 'auth-id-1');
});

test('an insane id is replaced by a uuid', { timeout: 30000 },
    async () => {
	for (const id of ['has space', 'semi;colon', '<script>',
	    'x'.repeat(300), 'quote"d', 'new\tline']) {
		const r = await post({ 'x-request-id': id });
		assert.equal(r.status, 200);
		assert.match(r.headers['x-litellm-call-id'], UUID, id);
	}
});

test('the openai client can set it', { timeout: 30000 }, async () => {
	const { response } = await env.lx.client().chat.completions.create({
	    model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] },
	    { headers: { 'x-request-id': 'sdk-req-7' } }).withResponse();
	assert.equal(response.headers.get('x-litellm-call-id'), 'sdk-req-7');
});

closingTest(env);
