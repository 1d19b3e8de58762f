// Issue 8: latency-based-routing sends most traffic to the faster of two
// deployments (the other has 50 ms added) within 20 requests, on latency
// samples that every worker shares.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closingTest, deployment, settings, setup } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('lat', 'openai/lat-slow', `${mock.base}/x/latency_ms=50/v1`)}
${deployment('lat', 'openai/lat-fast', mock.apiBase())}
${settings({ strategy: 'latency-based-routing' })}`);

test('the faster deployment takes most of 20 requests', { timeout: 30000 },
    async () => {
	for (let k = 0; k < 20; k++)
		assert.equal((await env.lx.chat({ model: 'lat',
		    messages: [{ role: 'user', content: 'hello there' }] }))
		    .status, 200);
	const reqs = await env.mock.chatRequests();
	const fast = reqs.filter((q) => q.json.model === 'lat-fast').length;
	const slow = reqs.filter((q) => q.json.model === 'lat-slow').length;
	assert.equal(fast + slow, 20);
	assert.ok(fast >= 16, `fast ${fast}, slow ${slow}`);
	assert.ok(slow >= 1, 'a deployment without samples is tried');
});

closingTest(env);
