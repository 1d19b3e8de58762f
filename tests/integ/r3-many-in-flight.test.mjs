// Regression: with more calls in flight in one worker than the pool of
// idle curl handles holds (256), finished calls were freed before their
// status was read, and valid 200 answers came back as 502.  400 slow
// calls at once through a single worker must all succeed.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { MASTER_KEY, chatBody, closingTest, deployment, request,
    settings, setup } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings()}`, { workers: 1 });

test('400 concurrent slow calls in one worker all answer 200', {
    timeout: 60000 }, async () => {
	const agent = new http.Agent({ keepAlive: true, maxSockets: 400 });
	const body = chatBody('gpt-test', 'x [[mock:latency_ms=300]]');
	try {
		const all = await Promise.all(Array.from({ length: 400 },
		    () => request(env.lx.base, { path: '/v1/chat/completions',
		    method: 'POST', body, agent, headers: {
		    authorization: `Bearer ${MASTER_KEY}`,
		    'content-type': 'application/json' } })));
		const bad = all.filter((r) => r.status !== 200);
		assert.equal(bad.length, 0, bad.length ?
		    `${bad.length} failed, first: ${bad[0].status} ` +
		    bad[0].text.slice(0, 200) : '');
		for (const r of all)
			assert.equal(r.json.model, 'gpt-test');
	} finally {
		agent.destroy();
	}
});

closingTest(env);
