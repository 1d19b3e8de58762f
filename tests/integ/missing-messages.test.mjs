// A chat request without messages (or without model): 400 with
// LiteLLM's "Missing required parameter" message and the param named.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertErrorBody, closingTest, deployment, settings, setup }
    from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings()}`);

test('missing messages: 400 Missing required parameter', {
    timeout: 30000 }, async () => {
	await env.mock.clear();
	for (const stream of [false, true]) {
		const r = await env.lx.chat({ model: 'gpt-test', stream });
		assert.equal(r.status, 400, r.text);
		assert.match(r.headers['content-type'], /application\/json/);
		assertErrorBody(r.json, 400, '/chat/completions: Missing ' +
		    "required parameter: 'messages'.");
		assert.equal(r.json.error.type, 'invalid_request_error');
		assert.equal(r.json.error.param, 'messages');
	}
	assert.deepEqual(await env.mock.chatRequests(), []);
});

test('missing model: 400 Missing required parameter', {
    timeout: 30000 }, async () => {
	const r = await env.lx.chat({ messages: [{ role: 'user',
	    content: 'hi' }] });
	assert.equal(r.status, 400, r.text);
	assertErrorBody(r.json, 400, '/chat/completions: Missing ' +
	    "required parameter: 'model'.");
	assert.equal(r.json.error.param, 'model');
});

closingTest(env);
