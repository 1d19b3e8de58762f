// Azure-style /openai/deployments/{model}/chat/completions (and the old
// /engines/{model}/...) take the model from the path; the AzureOpenAI
// client works against llmux.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AzureOpenAI } from 'openai';
import { MASTER_KEY, assertErrorBody, closingTest, collect, deployment,
    settings, setup } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${deployment('other', 'openai/other-up', mock.apiBase())}
${settings()}`);

const azure = () => new AzureOpenAI({ endpoint: env.lx.base,
    apiKey: MASTER_KEY, apiVersion: '2024-10-21', deployment: 'gpt-test',
    maxRetries: 0, timeout: 30000 });

test('AzureOpenAI client: plain completion', { timeout: 30000 },
    async () => {
	await env.mock.clear();
	const r = await azure().chat.completions.create({ model: '',
	    messages: [{ role: 'user', content: 'x [[mock:content=az]]' }] });
	assert.equal(r.choices[0].message.content, 'az');
	assert.equal(r.model, 'gpt-test');
	const [q] = await env.mock.chatRequests();
	assert.equal(q.json.model, 'up-model');
	assert.equal(q.path, '/v1/chat/completions');
});

test('AzureOpenAI client: streamed completion', { timeout: 30000 },
    async () => {
	const s = await azure().chat.completions.create({ model: '',
	    stream: true, messages: [{ role: 'user',
	    content: 'x [[mock:content=a b c,chunks=3]]' }] });
	const { chunks, text } = await collect(s);
	assert.equal(text, 'a b c');
	assert.ok(chunks.every((c) => c.model === 'gpt-test'));
});

test('the path model wins over the body model', { timeout: 30000 },
    async () => {
	for (const path of [
	    '/openai/deployments/other/chat/completions?api-version=2024-02-01',
	    '/engines/other/chat/completions']) {
		await env.mock.clear();
		const r = await env.lx.chat({ model: 'gpt-test',
		    messages: [{ role: 'user', content: 'x' }] }, { path,
		    headers: { 'api-key': MASTER_KEY } });
		assert.equal(r.status, 200, `${path}: ${r.text}`);
		assert.equal(r.json.model, 'other');
		const [q] = await env.mock.chatRequests();
		assert.equal(q.json.model, 'other-up');
	}
});

test('an unknown deployment in the path: 400 Invalid model name', {
    timeout: 30000 }, async () => {
	const r = await env.lx.chat({ messages: [{ role: 'user',
	    content: 'x' }] }, { path: '/openai/deployments/nope/chat/' +
	    'completions?api-version=2024-02-01',
	    headers: { 'api-key': MASTER_KEY } });
	assert.equal(r.status, 400);
	assertErrorBody(r.json, 400, /Invalid model name passed in model=nope\./);
});

closingTest(env);
