// A deployment whose api_base has nobody listening: 500
// litellm.APIConnectionError, plain and streaming, and llmux carries on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertErrorBody, closingTest, deployment, freePort, settings,
    setup } from './lib.mjs';

const dead = await freePort();
const env = await setup((mock) => `
model_list:
${deployment('dead', 'openai/x', `http://127.0.0.1:${dead}/v1`)}
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings()}`);

test('connection refused upstream: 500 APIConnectionError', {
    timeout: 30000 }, async () => {
	for (const stream of [false, true]) {
		const r = await env.lx.chat({ model: 'dead', stream,
		    messages: [{ role: 'user', content: 'hi' }] });
		assert.equal(r.status, 500, r.text);
		assert.match(r.headers['content-type'], /application\/json/);
		assertErrorBody(r.json, 500,
		    /^litellm\.APIConnectionError: /);
	}
	const ok = await env.lx.chat({ model: 'gpt-test',
	    messages: [{ role: 'user', content: 'hi' }] });
	assert.equal(ok.status, 200);
});

closingTest(env);
