// Issue 15, point 10: reloads were refused while long streams drained
// (an eight-slot limit on draining generations), and a stream cut at
// drain_timeout ended with neither [DONE] nor an error event.  Now any
// number of generations may drain, and a cut stream ends with an SSE
// error event.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { chatBody, closingTest, deployment, MASTER_KEY, request, settings,
    setup, sseData, startExtra, waitFor } from './lib.mjs';

const config = (mock, names, drainTimeout = 30) => `
model_list:
${names.map((n) => deployment(n, 'openai/up-model', mock.apiBase())).join('')}
${settings({ drainTimeout })}`;

const env = await setup((mock) => config(mock, ['m0']), { workers: 1 });

function stream(lx, model, directives) {
	return request(lx.base, { path: '/v1/chat/completions',
	    method: 'POST', headers: { 'content-type': 'application/json',
	    authorization: `Bearer ${MASTER_KEY}` },
	    body: chatBody(model, `x [[mock:${directives}]]`,
	    { stream: true }) });
}

async function models(lx) {
	const r = await lx.request({ path: '/v1/models',
	    headers: { authorization: `Bearer ${MASTER_KEY}` } });
	return r.json.data.map((d) => d.id);
}

test('12 reloads with 24 long streams open: every one is accepted',
    { timeout: 90000 }, async () => {
	const { lx, mock } = env;
	await mock.clear();
	const streams = [];
	const names = ['m0'];
	for (let i = 1; i <= 12; i++) {
		// Two streams in each generation, so none has drained yet.
		for (let k = 0; k < 2; k++)
			streams.push(stream(lx, names[names.length - 1],
			    'chunks=60,chunk_delay_ms=200'));
		await waitFor(async () => (await mock.chatRequests())
		    .length === 2 * i, { what: `streams of generation ${i}` });
		names.push(`m${i}`);
		fs.writeFileSync(lx.cfgFile, config(mock, names));
		process.kill(lx.pid, 'SIGHUP');
		await waitFor(() => lx.stderr().includes(
		    `generation ${i + 1} ready`), { timeout: 15000,
		    what: `generation ${i + 1}` });
	}
	assert.ok(!/reload refused/.test(lx.stderr()), 'a reload was refused');
	// The last reload took effect.
	assert.deepEqual((await models(lx)).sort(), [...names].sort());
	const done = await Promise.all(streams);
	for (const r of done) {
		assert.equal(r.status, 200);
		const d = sseData(r.text);
		assert.equal(d[d.length - 1], '[DONE]');
		// role, 60 deltas, finish, [DONE]
		assert.equal(d.length, 60 + 3, `stream: ${r.text.slice(-200)}`);
	}
});

test('a stream cut at drain_timeout ends with an SSE error event',
    { timeout: 40000 }, async () => {
	const lx = await startExtra(env, config(env.mock, ['m0'], 1),
	    { workers: 1 });
	const before = (await env.mock.chatRequests()).length;
	const long = stream(lx, 'm0', 'chunks=100,chunk_delay_ms=200');
	await waitFor(async () => (await env.mock.chatRequests()).length >
	    before, { what: 'the stream upstream' });
	const t0 = Date.now();
	process.kill(lx.pid, 'SIGHUP');
	const r = await long;
	const took = Date.now() - t0;
	assert.equal(r.status, 200);
	assert.ok(took >= 900 && took < 10000, `cut after ${took} ms`);
	const d = sseData(r.text);
	assert.ok(d.length > 1 && d.length < 100, `${d.length} events`);
	assert.notEqual(d[d.length - 1], '[DONE]');
	const last = JSON.parse(d[d.length - 1]);
	assert.equal(last.error.code, '503');
	assert.match(last.error.message, /drain/);
	assert.ok(/generation 2 ready/.test(lx.stderr()));
});

closingTest(env);
