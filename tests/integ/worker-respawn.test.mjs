// A worker killed with SIGKILL is replaced by the master, and the service
// goes on meanwhile.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alive, closingTest, deployment, settings, setup, sleep, waitFor }
    from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings()}`);

const ask = () => env.lx.chat({ model: 'gpt-test',
    messages: [{ role: 'user', content: 'x' }] });

test('SIGKILLed worker is respawned and requests keep working', {
    timeout: 40000 }, async () => {
	const { lx } = env;
	const before = lx.workers();
	assert.equal(before.length, 2, `workers ${before}`);
	const victim = before[0];
	process.kill(victim, 'SIGKILL');
	await waitFor(() => !alive(victim), { what: 'the worker to die' });
	// The other worker serves right away.
	for (let i = 0; i < 4; i++)
		assert.equal((await ask()).status, 200);
	const now = await waitFor(() => {
		const w = lx.workers();
		return w.length === 2 && !w.includes(victim) && w;
	}, { timeout: 15000, what: 'a new worker' });
	assert.ok(now.includes(before[1]), 'the other worker was replaced');
	assert.ok(alive(lx.pid), 'the master died');
	// Give the new worker time to be ready, then use both a while.
	await sleep(300);
	for (let i = 0; i < 10; i++)
		assert.equal((await ask()).status, 200);
});

test('killing both workers: both come back', { timeout: 40000 },
    async () => {
	const { lx } = env;
	const before = lx.workers();
	for (const w of before)
		process.kill(w, 'SIGKILL');
	const now = await waitFor(() => {
		const w = lx.workers();
		return w.length === 2 && w.every((p) => !before.includes(p)) &&
		    w;
	}, { timeout: 20000, what: 'two new workers' });
	assert.equal(now.length, 2);
	const r = await waitFor(async () => {
		const x = await ask();
		return x.status === 200 && x;
	}, { timeout: 10000, what: 'service back' });
	assert.equal(r.json.model, 'gpt-test');
});

closingTest(env);
