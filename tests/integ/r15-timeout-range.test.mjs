// A request timeout outside 0.001 .. 1e9 seconds (issue 15, point 11)
// used to become "no timeout" ((long)(t * 1000) is 0 below 1 ms and
// undefined for 1e300); it is now refused with a 400 naming the range.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MASTER_KEY, assertErrorBody, closingTest, deployment, settings,
    setup } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings()}`);

const RANGE = /timeout must be between 0\.001 and 1000000000 seconds/;
const msgs = [{ role: 'user', content: 'hi' }];

for (const t of [1e300, 0.0001, 0, -5, 2e9]) {
	test(`body timeout ${t} is refused`, { timeout: 30000 }, async () => {
		await env.mock.clear();
		const r = await env.lx.chat(`{"model":"gpt-test","messages":` +
		    `${JSON.stringify(msgs)},"timeout":${t}}`);
		assert.equal(r.status, 400, r.text);
		assertErrorBody(r.json, 400, RANGE);
		assert.equal((await env.mock.chatRequests()).length, 0);
	});
}

test('x-litellm-timeout out of range is refused', { timeout: 30000 },
    async () => {
	const r = await env.lx.chat({ model: 'gpt-test', messages: msgs },
	    { headers: { authorization: `Bearer ${MASTER_KEY}`,
	    'x-litellm-timeout': '1e300' } });
	assert.equal(r.status, 400, r.text);
	assertErrorBody(r.json, 400, RANGE);
});

test('timeouts in range still apply', { timeout: 30000 }, async () => {
	for (const t of [0.001, 5, 1e9]) {
		const r = await env.lx.chat({ model: 'gpt-test', messages: msgs,
		    timeout: t });
		// One millisecond may or may not be enough on loopback.
		assert.ok(t === 0.001 ? r.status !== 400 : r.status === 200,
		    `timeout ${t}: ${r.status} ${r.text}`);
	}
	const slow = await env.lx.chat({ model: 'gpt-test', timeout: 0.05,
	    messages: [{ role: 'user', content: '[[mock:latency_ms=400]]' }] });
	assert.equal(slow.status, 408, slow.text);
	const r = await env.lx.chat({ model: 'gpt-test', messages: msgs },
	    { headers: { authorization: `Bearer ${MASTER_KEY}`,
	    'x-litellm-timeout': '7.5' } });
	assert.equal(r.status, 200, r.text);
});

closingTest(env);
