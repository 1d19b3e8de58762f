// A wildcard deployment "openai/*" serves any openai/<name>, sending
// <name> upstream; a bare known OpenAI model reaches it by its provider;
// an exact model_name still wins over the pattern.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closingTest, deployment, settings, setup } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('openai/*', 'openai/*', mock.apiBase())}
${deployment('openai/pinned', 'openai/pinned-upstream', mock.apiBase())}
${settings()}`);

async function upstreamModel(model) {
	await env.mock.clear();
	const r = await env.lx.chat({ model,
	    messages: [{ role: 'user', content: 'x' }] });
	assert.equal(r.status, 200, `${model}: ${r.text}`);
	assert.equal(r.json.model, model);
	const seen = await env.mock.chatRequests();
	assert.equal(seen.length, 1);
	return seen[0].json.model;
}

test('openai/<name> goes upstream as <name>', { timeout: 30000 },
    async () => {
	assert.equal(await upstreamModel('openai/gpt-4o-mini'), 'gpt-4o-mini');
	assert.equal(await upstreamModel('openai/my-org/custom.v2'),
	    'my-org/custom.v2');
});

test('the openai client streams through the wildcard', {
    timeout: 30000 }, async () => {
	await env.mock.clear();
	const s = await env.lx.client().chat.completions.create({
	    model: 'openai/anything-at-all', stream: true,
	    messages: [{ role: 'user', content: 'x [[mock:content=w]]' }] });
	let text = '';
	for await (const c of s) {
		assert.equal(c.model, 'openai/anything-at-all');
		text += c.choices[0]?.delta?.content || '';
	}
	assert.equal(text, 'w');
	const [q] = await env.mock.chatRequests();
	assert.equal(q.json.model, 'anything-at-all');
});

test('a bare known OpenAI model matches openai/*', { timeout: 30000 },
    async () => {
	assert.equal(await upstreamModel('gpt-4o'), 'gpt-4o');
});

test('an exact model_name wins over the pattern', { timeout: 30000 },
    async () => {
	assert.equal(await upstreamModel('openai/pinned'), 'pinned-upstream');
});

test('a name outside the pattern is unknown', { timeout: 30000 },
    async () => {
	const r = await env.lx.chat({ model: 'anthropic/claude-x',
	    messages: [{ role: 'user', content: 'x' }] });
	assert.equal(r.status, 400, r.text);
	assert.match(r.json.error.message, /Invalid model name/);
});

test('a bare name no provider claims does not match openai/*', {
    timeout: 30000 }, async () => {
	await env.mock.clear();
	const r = await env.lx.chat({ model: 'no-such-model-xyz',
	    messages: [{ role: 'user', content: 'x' }] });
	assert.equal(r.status, 400, r.text);
	assert.match(r.json.error.message, /Invalid model name/);
	assert.deepEqual(await env.mock.chatRequests(), []);
});

closingTest(env);
