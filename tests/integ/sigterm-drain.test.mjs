// SIGTERM: llmux stops taking work, lets the requests and streams in
// flight finish, and exits 0; a request that never ends is given up at
// drain_timeout and llmux still exits 0.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alive, closingTest, collect, deployment, settings, setup,
    startExtra, waitFor } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings()}`);

test('in-flight request and stream finish after SIGTERM, exit 0', {
    timeout: 40000 }, async () => {
	const { lx, mock } = env;
	await mock.clear();
	const workers = lx.workers();
	assert.equal(workers.length, 2);
	const slow = lx.client().chat.completions.create({ model: 'gpt-test',
	    messages: [{ role: 'user', content:
	    'x [[mock:latency_ms=1000,content=slow but sure]]' }] });
	const stream = await lx.client().chat.completions.create({
	    model: 'gpt-test', stream: true, messages: [{ role: 'user',
	    content: 'x [[mock:chunks=5,chunk_delay_ms=300,content=a b c d e]]'
	    }] });
	const streamed = collect(stream);
	// Both are at the upstream before the signal.
	await waitFor(async () => (await mock.chatRequests()).length === 2,
	    { what: 'both requests upstream' });
	const t0 = Date.now();
	process.kill(lx.pid, 'SIGTERM');
	const r = await slow;
	assert.equal(r.choices[0].message.content, 'slow but sure');
	assert.equal((await streamed).text, 'a b c d e');
	const st = await lx.exited();
	assert.deepEqual(st, { code: 0, signal: null });
	// Well before drain_timeout (5 s) plus slack.
	assert.ok(Date.now() - t0 < 15000);
	for (const w of workers)
		await waitFor(() => !alive(w), { timeout: 5000,
		    what: `worker ${w} to exit` });
});

test('a request that never ends is cut at drain_timeout; exit 0', {
    timeout: 40000 }, async () => {
	const lx = await startExtra(env, `
model_list:
${deployment('gpt-test', 'openai/up-model', env.mock.apiBase())}
${settings({ drainTimeout: 2 })}`);
	const before = await env.mock.stats();
	const hung = lx.chat({ model: 'gpt-test', messages: [{ role: 'user',
	    content: 'x [[mock:hang=1]]' }] }).catch((e) => e);
	await waitFor(async () => (await env.mock.stats()).hung >
	    before.hung, { what: 'the hung request upstream' });
	const t0 = Date.now();
	process.kill(lx.pid, 'SIGTERM');
	const st = await lx.exited();
	const took = Date.now() - t0;
	assert.deepEqual(st, { code: 0, signal: null });
	// Not before the drain deadline, not long after it.
	assert.ok(took >= 1500, `exited after ${took} ms`);
	assert.ok(took < 15000, `exited after ${took} ms`);
	const r = await hung;
	assert.ok(r instanceof Error || r.status !== 200,
	    'the hung request got a 200');
	await waitFor(async () => (await env.mock.stats()).hung_open === 0,
	    { timeout: 5000, what: 'the upstream connection closed' });
});

closingTest(env);
