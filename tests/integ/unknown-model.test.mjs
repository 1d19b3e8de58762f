// A model no deployment serves: 400 with LiteLLM's "Invalid model name"
// message, no upstream call.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpenAI, apiError, assertErrorBody, closingTest, deployment,
    settings, setup } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings()}`);

const msg = (m) => `/chat/completions: Invalid model name passed in ` +
    `model=${m}. Call \`/v1/models\` to view available models for your key.`;

test('unknown model: 400 Invalid model name', { timeout: 30000 },
    async () => {
	await env.mock.clear();
	const e = await apiError(env.lx.client().chat.completions.create({
	    model: 'no-such-model',
	    messages: [{ role: 'user', content: 'hi' }] }));
	assert.ok(e instanceof OpenAI.BadRequestError);
	assert.equal(e.status, 400);
	assert.equal(e.error.message, msg('no-such-model'));
	assert.equal(e.error.code, '400');
	assert.deepEqual(await env.mock.chatRequests(), []);
});

test('unknown model on a stream: the same JSON error, not SSE',
    { timeout: 30000 }, async () => {
	const r = await env.lx.chat({ model: 'gpt-tes', stream: true,
	    messages: [{ role: 'user', content: 'hi' }] });
	assert.equal(r.status, 400);
	assert.match(r.headers['content-type'], /application\/json/);
	assertErrorBody(r.json, 400, msg('gpt-tes'));
});

test('names are matched exactly', { timeout: 30000 }, async () => {
	for (const m of ['GPT-TEST', 'gpt-test ', 'up-model-x']) {
		const r = await env.lx.chat({ model: m,
		    messages: [{ role: 'user', content: 'hi' }] });
		assert.equal(r.status, 400, `${m}: ${r.text}`);
		assertErrorBody(r.json, 400, msg(m));
	}
});

closingTest(env);
