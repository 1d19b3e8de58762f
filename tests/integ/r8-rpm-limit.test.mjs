// Issue 8: a deployment's rpm holds across workers.  The pick and its
// count are one LMDB write transaction, so two workers never both take
// the last request of a minute: an `rpm: 10` deployment gets exactly 10
// requests, counted at the mock, and the rest get LiteLLM's 429.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closingTest, deployment, settings, setup, sleep } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('alone', 'openai/alone-up', mock.apiBase(), '      rpm: 10')}
${deployment('pair', 'openai/pair-a', mock.apiBase(), '      rpm: 3')}
${deployment('pair', 'openai/pair-b', mock.apiBase(), '      rpm: 3')}
${settings()}`, { workers: 2 });

// Counters are per wall-clock minute: start well inside one.
async function freshMinute() {
	const s = new Date().getUTCSeconds();
	if (s > 40)
		await sleep((61 - s) * 1000);
}

const ask = (model) => env.lx.chat({ model,
    messages: [{ role: 'user', content: 'x' }] });

async function burst(model, n) {
	const rs = await Promise.all(Array.from({ length: n },
	    () => ask(model)));
	const upstream = (await env.mock.chatRequests()).filter((q) =>
	    q.json && q.json.model.startsWith(model));
	return { rs, upstream };
}

test('rpm 10 alone: exactly 10 reach the upstream across 2 workers',
    { timeout: 60000 }, async () => {
	await freshMinute();
	await env.mock.clear();
	const { rs, upstream } = await burst('alone', 30);
	assert.equal(upstream.length, 10, 'requests at the mock');
	assert.equal(rs.filter((r) => r.status === 200).length, 10);
	const over = rs.filter((r) => r.status === 429);
	assert.equal(over.length, 20);
	const e = JSON.parse(over[0].text).error;
	assert.equal(e.message, 'litellm.RateLimitError: Deployment over ' +
	    'defined rpm limit=10. current usage=10');
	assert.equal(e.code, '429');
	assert.equal(over[0].headers['retry-after'], '60');
});

test('a group whose members are all over rpm answers 429',
    { timeout: 60000 }, async () => {
	await freshMinute();
	await env.mock.clear();
	const { rs, upstream } = await burst('pair', 12);
	assert.equal(upstream.length, 6);
	const a = upstream.filter((q) => q.json.model === 'pair-a').length;
	assert.equal(a, 3, 'each member takes its own 3');
	const over = rs.filter((r) => r.status === 429);
	assert.equal(over.length, 6);
	const e = JSON.parse(over[0].text).error;
	assert.match(e.message, /^No deployments available for selected model, Try again in \d+ seconds\. Passed model=pair\. pre-call-checks=False, cooldown_list=\[\]$/);
	assert.equal(e.type, 'None');
});

closingTest(env);
