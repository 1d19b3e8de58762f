// llmux_settings.max_connections: at the cap a worker stops accepting;
// a new client waits in the backlog until one of the open connections is
// released, then it is served.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { MASTER_KEY, chatBody, closingTest, deployment, request,
    settings, setup, sleep } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings({ llmux: '  max_connections: 2' })}`, { workers: 1 });

function chat(agent) {
	return request(env.lx.base, { path: '/v1/chat/completions',
	    method: 'POST', agent, body: chatBody('gpt-test', 'x'),
	    headers: { authorization: `Bearer ${MASTER_KEY}`,
	    'content-type': 'application/json' } });
}

test('a third connection waits until one of two is released', {
    timeout: 30000 }, async () => {
	// Two kept-alive connections, each used once and left open.
	const a1 = new http.Agent({ keepAlive: true, maxSockets: 1 });
	const a2 = new http.Agent({ keepAlive: true, maxSockets: 1 });
	assert.equal((await chat(a1)).status, 200);
	assert.equal((await chat(a2)).status, 200);
	let done = false;
	const third = chat(false).then((r) => { done = true; return r; });
	await sleep(1500);
	assert.equal(done, false, 'served past max_connections');
	a1.destroy();
	const r = await third;
	assert.equal(r.status, 200, r.text);
	a2.destroy();
});

closingTest(env);
