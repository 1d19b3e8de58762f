// Issue 8: allowed_fails_policy counts each error class against its own
// number; without allowed_fails, LiteLLM's rate rules spare a group of
// one from 5xx cooldowns but cool a 401 at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closingTest, deployment, settings, setup } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('five', 'openai/five', `${mock.base}/x/status=500/v1`)}
${deployment('limited', 'openai/limited', `${mock.base}/x/status=429/v1`)}
${deployment('spared', 'openai/spared', `${mock.base}/x/status=503/v1`)}
${deployment('denied', 'openai/denied', `${mock.base}/x/status=401/v1`)}
${settings({ router: `  cooldown_time: 30
  allowed_fails_policy:
    InternalServerErrorAllowedFails: 0
    RateLimitErrorAllowedFails: 2` })}`);

async function statuses(model, n) {
	const out = [];
	for (let k = 0; k < n; k++)
		out.push((await env.lx.chat({ model,
		    messages: [{ role: 'user', content: 'x' }] })).status);
	return out;
}

test('InternalServerErrorAllowedFails: 0 cools at the first 500',
    { timeout: 30000 }, async () => {
	assert.deepEqual(await statuses('five', 3), [500, 429, 429]);
});

test('RateLimitErrorAllowedFails: 2 cools at the third 429',
    { timeout: 30000 }, async () => {
	// The upstream's 429s, then the router's own.
	const s = await statuses('limited', 5);
	assert.deepEqual(s, [429, 429, 429, 429, 429]);
	const reqs = (await env.mock.chatRequests()).filter((q) =>
	    q.json && q.json.model === 'limited');
	assert.equal(reqs.length, 3);
});

test('no policy for the class: a lone 503 deployment is spared',
    { timeout: 30000 }, async () => {
	assert.deepEqual(await statuses('spared', 6), Array(6).fill(503));
});

test('a 401 cools down at once', { timeout: 30000 }, async () => {
	assert.deepEqual(await statuses('denied', 2), [401, 429]);
});

closingTest(env);
