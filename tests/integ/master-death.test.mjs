// The workers do not outlive their master: SIGKILL on the master makes
// them exit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alive, closingTest, deployment, settings, setup, waitFor }
    from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings()}`);

test('workers exit when the master is killed', { timeout: 40000 },
    async () => {
	const { lx } = env;
	const workers = lx.workers();
	assert.equal(workers.length, 2);
	process.kill(lx.pid, 'SIGKILL');
	await lx.exited();
	try {
		for (const w of workers)
			await waitFor(() => !alive(w), { timeout: 10000,
			    what: `worker ${w} to exit` });
	} finally {
		for (const w of workers)
			if (alive(w))
				try { process.kill(w, 'SIGKILL'); } catch {}
	}
});

closingTest(env);
