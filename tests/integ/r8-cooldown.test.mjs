// Issue 8: cooldowns as LiteLLM has them.  A deployment answering 500
// past allowed_fails cools down for cooldown_time: the traffic moves to
// the other member of its group, then comes back.  A group whose every
// member is cooling down answers LiteLLM's 429; a 400 never cools down.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closingTest, deployment, settings, setup, sleep } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('duo', 'openai/duo-bad', `${mock.base}/x/status=500/v1`)}
${deployment('duo', 'openai/duo-good', mock.apiBase())}
${deployment('solo', 'openai/solo-bad', `${mock.base}/x/status=503/v1`)}
${deployment('picky', 'openai/picky', `${mock.base}/x/status=400/v1`)}
${settings({ router: '  allowed_fails: 1\n  cooldown_time: 3' })}`);

const ask = (model) => env.lx.chat({ model,
    messages: [{ role: 'user', content: 'x' }] });

async function atMock(model) {
	return (await env.mock.chatRequests()).filter((q) =>
	    q.json && q.json.model === model).length;
}

test('a failing deployment cools down, traffic moves, then it is back',
    { timeout: 60000 }, async () => {
	// Shuffle sends about half to the bad one: 2 failures cool it.
	let i;
	for (i = 0; i < 60 && await atMock('duo-bad') < 2; i++)
		await ask('duo');
	assert.equal(await atMock('duo-bad'), 2, 'two failures reached it');
	const t0 = Date.now();
	for (let k = 0; k < 12; k++)
		assert.equal((await ask('duo')).status, 200, `request ${k}`);
	assert.ok(Date.now() - t0 < 2500, 'still inside cooldown_time');
	assert.equal(await atMock('duo-bad'), 2, 'nothing while cooling');
	await sleep(3200 - (Date.now() - t0));
	for (i = 0; i < 40 && await atMock('duo-bad') < 3; i++)
		await ask('duo');
	assert.equal(await atMock('duo-bad'), 3, 'back after cooldown_time');
});

test('every deployment cooling down: LiteLLM\'s 429', { timeout: 30000 },
    async () => {
	assert.equal((await ask('solo')).status, 503);
	assert.equal((await ask('solo')).status, 503);
	const r = await ask('solo');
	assert.equal(r.status, 429);
	const e = JSON.parse(r.text).error;
	assert.match(e.message, /^No deployments available for selected model, Try again in 3 seconds\. Passed model=solo\. pre-call-checks=False, cooldown_list=\['[0-9a-f]{64}'\]$/);
	assert.equal(e.code, '429');
	assert.equal(await atMock('solo-bad'), 2);
	await sleep(3200);
	assert.equal((await ask('solo')).status, 503, 'tried again');
});

test('a 400 never cools a deployment down', { timeout: 30000 },
    async () => {
	for (let k = 0; k < 4; k++)
		assert.equal((await ask('picky')).status, 400);
	assert.equal(await atMock('picky'), 4);
});

closingTest(env);
