// Issue 14: the worker's request and error counters are read, not only
// written: each worker says what it served when it exits (the reader
// until /metrics lands).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deployment, MASTER_KEY, settings, setup, startExtra } from
    './lib.mjs';

const config = (mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings()}`;

const env = await setup(config);

test('a worker counts its requests and errors and logs them on exit',
    { timeout: 30000 }, async () => {
	const lx = await startExtra(env, config(env.mock), { workers: 1 });
	const auth = { authorization: `Bearer ${MASTER_KEY}` };
	for (let i = 0; i < 3; i++) {
		const r = await lx.client().chat.completions.create({
		    model: 'gpt-test', messages: [{ role: 'user',
		    content: 'hi' }] });
		assert.equal(r.model, 'gpt-test');
	}
	assert.equal((await lx.request({ path: '/v1/nowhere',
	    headers: auth })).status, 404);
	assert.equal((await lx.request({ path: '/v1/models' })).status, 401);
	assert.equal((await lx.request({ method: 'POST',
	    path: '/v1/chat/completions', headers: { ...auth,
	    'content-type': 'application/json' },
	    body: '{"model":"gpt-test","messages":[{"role":"user",' +
	    '"content":"x [[mock:status=503]]"}]}' })).status, 503);
	process.kill(lx.pid, 'SIGTERM');
	assert.deepEqual(await lx.exited(), { code: 0, signal: null });
	// Startup's readiness probes are requests too: at least our six.
	const m = /exiting: (\d+) requests served \((\d+) answered 4xx, (\d+) 5xx\)/
	    .exec(lx.stderr());
	assert.ok(m, 'no exit line with the counters');
	assert.ok(Number(m[1]) >= 6, `${m[1]} requests counted`);
	assert.equal(Number(m[2]), 2);
	assert.equal(Number(m[3]), 1);
});
