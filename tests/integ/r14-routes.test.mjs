// Issue 14: the routes are one table.  An unknown path is a 404 and a
// known path with another method a 405, both with the error JSON and one
// log line; every route keeps answering with and without /v1, and
// OPTIONS on a liveness probe lists the methods.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MASTER_KEY, assertErrorBody, closingTest, deployment, settings,
    setup, waitFor } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings()}`);

const auth = { authorization: `Bearer ${MASTER_KEY}` };

test('unknown path: 404 JSON, logged', { timeout: 20000 }, async () => {
	const r = await env.lx.request({ path: '/v1/no-such-route',
	    headers: auth });
	assert.equal(r.status, 404);
	assert.match(r.headers['content-type'], /application\/json/);
	assertErrorBody(r.json, 404, /^Not Found$/);
	await waitFor(() => /no-such-route 404: Not Found/.test(
	    env.lx.stderr()), { timeout: 3000, what: 'the 404 log line' });
});

test('known path, other method: 405 JSON, logged', { timeout: 20000 },
    async () => {
	for (const [method, path] of [['DELETE', '/v1/models'],
	    ['GET', '/chat/completions'],
	    ['GET', '/openai/deployments/gpt-test/chat/completions'],
	    ['PUT', '/v1/models/gpt-test']]) {
		const r = await env.lx.request({ method, path, headers: auth });
		assert.equal(r.status, 405, `${method} ${path}`);
		assert.match(r.headers['content-type'], /application\/json/);
		assertErrorBody(r.json, 405, /^Method Not Allowed$/);
	}
	await waitFor(() => /\/v1\/models\/gpt-test 405/.test(
	    env.lx.stderr()), { timeout: 3000, what: 'the 405 log line' });
});

test('routes with and without /v1', { timeout: 20000 },
    async () => {
	for (const p of ['/models', '/v1/models', '/models/gpt-test',
	    '/v1/models/gpt-test']) {
		const r = await env.lx.request({ path: p, headers: auth });
		assert.equal(r.status, 200, p);
	}
	for (const p of ['/health/liveliness', '/v1/health/liveness',
	    '/health/readiness']) {
		const r = await env.lx.request({ path: p });
		assert.equal(r.status, 200, p);
	}
	const o = await env.lx.request({ method: 'OPTIONS',
	    path: '/health/liveliness' });
	assert.equal(o.status, 200);
	assert.equal(o.headers.allow, 'GET, OPTIONS');
});

closingTest(env);
