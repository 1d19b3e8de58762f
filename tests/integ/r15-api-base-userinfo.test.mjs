// An api_base with userinfo and a query string (issue 15, point 8): the
// client is shown the base without either, and the upstream URL keeps the
// query at its end (base?key=... + /chat/completions was a 404).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closingTest, deployment, settings, setup } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('creds', 'openai/up-model',
    `http://user:pa55word@127.0.0.1:${mock.port}/v1?key=q-secret-1`)}
${settings()}`);

test('userinfo and query never reach the client', { timeout: 30000 },
    async () => {
	await env.mock.clear();
	const r = await env.lx.chat({ model: 'creds',
	    messages: [{ role: 'user', content: 'hi' }] });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.headers['x-litellm-model-api-base'],
	    `http://127.0.0.1:${env.mock.port}/v1`);
	assert.ok(!r.text.includes('pa55word') && !r.text.includes('q-secret'));
	assert.ok(!JSON.stringify(r.headers).includes('pa55word'));
});

test('the query goes after the path upstream', { timeout: 30000 },
    async () => {
	await env.mock.clear();
	const r = await env.lx.chat({ model: 'creds', stream: true,
	    messages: [{ role: 'user', content: 'hi' }] });
	assert.equal(r.status, 200, r.text);
	const q = await env.mock.chatRequests();
	assert.equal(q.length, 1);
	assert.equal(q[0].path, '/v1/chat/completions?key=q-secret-1');
});

test('the logs show neither', { timeout: 30000 }, async () => {
	const log = env.lx.stderr();
	assert.ok(!log.includes('pa55word'), 'userinfo in the log');
	assert.ok(!log.includes('q-secret-1'), 'query key in the log');
});

closingTest(env);
