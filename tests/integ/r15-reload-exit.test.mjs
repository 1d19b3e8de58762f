// Issue 15, point 2: SIGTERM or SIGINT after a reload used to crash the
// master (SIGSEGV): the config of generation 1 was freed twice, once when
// its workers had drained and once at exit.  Each generation now has one
// owner; the master exits 0 and the sanitizers see nothing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { closingTest, deployment, sanitizerReports, settings, setup,
    startExtra, waitFor } from './lib.mjs';

const config = (mock, name) => `
model_list:
${deployment(name, 'openai/up-model', mock.apiBase())}
${settings()}`;

const env = await setup((mock) => config(mock, 'gpt-one'), { workers: 1 });

// Reload to a config naming the model `name`, and wait until it serves.
async function reload(lx, name, gen) {
	fs.writeFileSync(lx.cfgFile, config(env.mock, name));
	const old = lx.workers();
	process.kill(lx.pid, 'SIGHUP');
	await waitFor(() => lx.stderr().includes(`generation ${gen} ready`),
	    { what: `generation ${gen}` });
	// The old worker drains and goes: its config is freed now.
	await waitFor(() => old.every((p) => !lx.workers().includes(p)),
	    { what: 'the old worker to exit' });
	const r = await lx.request({ path: '/v1/models',
	    headers: { authorization: `Bearer ${lx.client().apiKey}` } });
	assert.deepEqual(r.json.data.map((d) => d.id), [name]);
}

for (const sig of ['SIGTERM', 'SIGINT']) {
	test(`reload, then ${sig}: exit 0`, { timeout: 30000 }, async () => {
		const lx = await startExtra(env, config(env.mock, 'gpt-one'),
		    { workers: 1 });
		await reload(lx, 'gpt-two', 2);
		await reload(lx, 'gpt-three', 3);
		process.kill(lx.pid, sig);
		const st = await lx.exited();
		assert.deepEqual(st, { code: 0, signal: null },
		    lx.stderr().split('\n').slice(-15).join('\n'));
		assert.deepEqual(sanitizerReports(lx.stderrFile), []);
	});
}

test('reload while the previous generation drains, then SIGTERM: exit 0',
    { timeout: 30000 }, async () => {
	const { lx } = env;
	// A slow request keeps generation 1 alive across two reloads.
	const slow = lx.chat({ model: 'gpt-one', messages: [{ role: 'user',
	    content: 'x [[mock:latency_ms=1500]]' }] });
	await waitFor(async () => (await env.mock.chatRequests()).length > 0,
	    { what: 'the slow request upstream' });
	fs.writeFileSync(lx.cfgFile, config(env.mock, 'gpt-two'));
	process.kill(lx.pid, 'SIGHUP');
	await waitFor(() => lx.stderr().includes('generation 2 ready'),
	    { what: 'generation 2' });
	process.kill(lx.pid, 'SIGHUP');
	await waitFor(() => lx.stderr().includes('generation 3 ready'),
	    { what: 'generation 3' });
	assert.equal((await slow).status, 200);
});

closingTest(env);
