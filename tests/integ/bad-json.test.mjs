// A body that is not a JSON object: 400 invalid_request_error, no
// upstream call, and the connection keeps serving.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { assertErrorBody, chatBody, closingTest, deployment, settings,
    setup } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings()}`);

test('malformed JSON: 400 invalid_request_error', { timeout: 30000 },
    async () => {
	await env.mock.clear();
	for (const body of ['{"model":', '{"model":"gpt-test",}',
	    '{model: "gpt-test"}', `${chatBody('gpt-test', 'hi')} trailing`,
	    '\u00ff\u00fe', '   ']) {
		const r = await env.lx.chat(body);
		assert.equal(r.status, 400, `${body}: ${r.text}`);
		assertErrorBody(r.json, 400);
		assert.equal(r.json.error.type, 'invalid_request_error');
		assert.match(r.json.error.message, /^\/chat\/completions: /);
	}
	assert.deepEqual(await env.mock.chatRequests(), []);
});

test('JSON that is not an object: 400', { timeout: 30000 }, async () => {
	for (const body of ['[1]', '"str"', 'null', '42']) {
		const r = await env.lx.chat(body);
		assert.equal(r.status, 400, `${body}: ${r.text}`);
		assertErrorBody(r.json, 400);
		assert.equal(r.json.error.type, 'invalid_request_error');
	}
});

test('the keep-alive connection still works after a bad body',
    { timeout: 30000 }, async () => {
	const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
	try {
		const bad = await env.lx.chat('{"model":', { agent });
		assert.equal(bad.status, 400);
		const good = await env.lx.chat(chatBody('gpt-test', 'hi'),
		    { agent });
		assert.equal(good.status, 200, good.text);
		assert.equal(good.reusedSocket, true, 'socket reused');
	} finally {
		agent.destroy();
	}
});

closingTest(env);
