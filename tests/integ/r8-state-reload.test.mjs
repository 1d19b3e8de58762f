// Issue 8: the shared state survives a SIGHUP reload.  The new generation
// opens the same environment and the deployment keeps its id, so the
// requests of this minute still count against its rpm.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closingTest, deployment, settings, setup, sleep, waitFor }
    from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('five', 'openai/five-up', mock.apiBase(), '      rpm: 5')}
${settings()}`);

const ask = () => env.lx.chat({ model: 'five',
    messages: [{ role: 'user', content: 'x' }] });

test('rpm counts carry over a reload', { timeout: 60000 }, async () => {
	const { lx, mock } = env;
	const s = new Date().getUTCSeconds();
	if (s > 40)
		await sleep((61 - s) * 1000);
	for (let k = 0; k < 3; k++)
		assert.equal((await ask()).status, 200);
	const old = lx.workers();
	process.kill(lx.pid, 'SIGHUP');
	await waitFor(() => lx.workers().length === 2 &&
	    lx.workers().every((p) => !old.includes(p)),
	    { timeout: 20000, what: 'the new generation alone' });
	const rs = [];
	for (let k = 0; k < 5; k++)
		rs.push((await ask()).status);
	assert.deepEqual(rs, [200, 200, 429, 429, 429]);
	assert.equal((await mock.chatRequests()).length, 5);
});

closingTest(env);
