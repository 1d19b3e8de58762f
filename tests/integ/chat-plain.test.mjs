// A plain chat completion through llmux with the official client: the
// answer is the upstream's, the model is the name the client asked for,
// usage is passed on, and the upstream got the request.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closingTest, deployment, settings, setup } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings()}`);

test('openai client gets a plain completion', { timeout: 30000 },
    async () => {
	const { lx, mock } = env;
	await mock.clear();
	const r = await lx.client().chat.completions.create({
		model: 'gpt-test',
		messages: [{ role: 'user',
		    content: 'hi [[mock:content=plain answer 42,' +
		    'prompt_tokens=11,completion_tokens=7]]' }],
	});
	assert.equal(r.object, 'chat.completion');
	assert.equal(r.model, 'gpt-test');
	assert.equal(r.choices.length, 1);
	assert.equal(r.choices[0].message.role, 'assistant');
	assert.equal(r.choices[0].message.content, 'plain answer 42');
	assert.equal(r.choices[0].finish_reason, 'stop');
	assert.deepEqual({ p: r.usage.prompt_tokens,
	    c: r.usage.completion_tokens, t: r.usage.total_tokens },
	    { p: 11, c: 7, t: 18 });
	const seen = await mock.chatRequests();
	assert.equal(seen.length, 1, 'one upstream call');
	assert.equal(seen[0].json.model, 'up-model');
});

test('both /chat/completions and /v1/chat/completions serve it',
    { timeout: 30000 }, async () => {
	for (const path of ['/chat/completions', '/v1/chat/completions']) {
		const r = await env.lx.chat({ model: 'gpt-test',
		    messages: [{ role: 'user', content: 'x' }] }, { path });
		assert.equal(r.status, 200, `${path}: ${r.text}`);
		assert.equal(r.json.model, 'gpt-test');
		assert.equal(r.json.choices[0].message.content,
		    'Hello from mock');
	}
});

closingTest(env);
