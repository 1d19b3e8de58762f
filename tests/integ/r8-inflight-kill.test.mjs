// Issue 8: in-flight counts live per worker slot in the shared state, and
// the master clears a slot when its worker dies.  least-busy sees the
// requests a SIGKILLed worker had in flight until then, and not after.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closingTest, deployment, settings, setup, sleep, waitFor }
    from './lib.mjs';

// slow and busy-a share an id, so they share counters: what hangs on
// slow counts as in flight on busy-a.
const env = await setup((mock) => `
model_list:
${deployment('slow', 'openai/slow-up', `${mock.base}/x/hang=1/v1`,
    '    model_info:\n      id: shared-a')}
${deployment('busy', 'openai/busy-a', mock.apiBase(),
    '    model_info:\n      id: shared-a')}
${deployment('busy', 'openai/busy-b', mock.apiBase())}
${settings({ strategy: 'least-busy' })}`);

const ask = (model) => env.lx.chat({ model,
    messages: [{ role: 'user', content: 'x' }] });

async function atMock(model) {
	return (await env.mock.chatRequests()).filter((q) =>
	    q.json && q.json.model === model).length;
}

test('kill -9 of workers with requests in flight leaves no count behind',
    { timeout: 60000 }, async () => {
	const { lx, mock } = env;
	const hung = Array.from({ length: 4 }, () =>
	    ask('slow').catch(() => null));
	await waitFor(async () => (await mock.stats()).hung_open === 4,
	    { what: 'four requests hanging upstream' });
	// Four in flight on shared-a: least-busy sends everything to b.
	for (let k = 0; k < 8; k++)
		assert.equal((await ask('busy')).status, 200);
	assert.equal(await atMock('busy-a'), 0, 'a is busy');
	assert.equal(await atMock('busy-b'), 8);

	const before = lx.workers();
	for (const w of before)
		process.kill(w, 'SIGKILL');
	await Promise.all(hung);
	await waitFor(() => {
		const w = lx.workers();
		return w.length === 2 && w.every((p) => !before.includes(p));
	}, { timeout: 20000, what: 'two new workers' });
	await sleep(300);
	// Both idle now: ties go either way.
	for (let k = 0; k < 30; k++)
		assert.equal((await ask('busy')).status, 200);
	const a = await atMock('busy-a');
	assert.ok(a > 3, `busy-a got ${a} of 30 after the kill`);
});

closingTest(env);
