// Issue 15, point 9: a reload used to block the master for as long as the
// config took to parse, so a worker killed meanwhile was not replaced
// and, with one worker, clients waited.  The parse now runs beside the
// master's loop.  LLMUX_TEST_PARSE_DELAY_MS (read only by the reload
// parser, for tests) makes the parse last 4 s.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { alive, closingTest, deployment, settings, setup, waitFor }
    from './lib.mjs';

const DELAY = 4000;
process.env.LLMUX_TEST_PARSE_DELAY_MS = String(DELAY);

const config = (mock, names) => `
model_list:
${names.map((n) => deployment(n, 'openai/up-model', mock.apiBase())).join('')}
${settings()}`;

const env = await setup((mock) => config(mock, ['gpt-old']),
    { workers: 1 });

async function models(lx) {
	const r = await lx.request({ path: '/v1/models',
	    headers: { authorization: `Bearer ${lx.client().apiKey}` } });
	return r.json.data.map((d) => d.id).sort();
}

test('a worker killed during a slow reload is respawned and serves',
    { timeout: 40000 }, async () => {
	const { lx, mock } = env;
	const [victim] = lx.workers();
	fs.writeFileSync(lx.cfgFile, config(mock, ['gpt-old', 'gpt-new']));
	const t0 = Date.now();
	process.kill(lx.pid, 'SIGHUP');
	await waitFor(() => lx.stderr().includes('SIGHUP: reloading'),
	    { what: 'the reload to start' });
	process.kill(victim, 'SIGKILL');
	await waitFor(() => !alive(victim), { what: 'the worker to die' });
	const [fresh] = await waitFor(() => {
		const w = lx.workers();
		return w.length === 1 && w[0] !== victim && w;
	}, { timeout: DELAY, what: 'a respawned worker' });
	const r = await waitFor(async () => {
		const x = await lx.chat({ model: 'gpt-old',
		    messages: [{ role: 'user', content: 'x' }] });
		return x.status === 200 && x;
	}, { timeout: DELAY, what: 'an answer' });
	const served = Date.now() - t0;
	assert.equal(r.json.model, 'gpt-old');
	// Still the old generation: the reload has not finished yet.
	assert.deepEqual(await models(lx), ['gpt-old']);
	assert.ok(served < DELAY, `served ${served} ms after SIGHUP`);
	assert.ok(!lx.stderr().includes('generation 2'),
	    'the reload finished before the worker was back');
	// Then the reload lands, on a new worker.
	await waitFor(async () => (await models(lx)).length === 2,
	    { timeout: DELAY + 10000, what: 'the new config' });
	assert.ok(Date.now() - t0 >= DELAY - 200, 'the delay was not applied');
	await waitFor(() => !alive(fresh), { what: 'the respawned worker ' +
	    'of the old generation to drain' });
});

test('signals are served during a slow reload: SIGTERM exits 0 after it',
    { timeout: 40000 }, async () => {
	const { lx } = env;
	process.kill(lx.pid, 'SIGHUP');
	await waitFor(() => lx.stderr().split('SIGHUP: reloading').length > 2,
	    { what: 'the second reload to start' });
	const t0 = Date.now();
	process.kill(lx.pid, 'SIGTERM');
	// The worker hears of the drain at once, not after the parse.
	await waitFor(() => lx.stderr().includes('SIGTERM: draining'),
	    { timeout: DELAY / 2, what: 'the master to act on SIGTERM' });
	assert.ok(Date.now() - t0 < DELAY / 2);
	const st = await lx.exited();
	assert.deepEqual(st, { code: 0, signal: null });
});

closingTest(env);
