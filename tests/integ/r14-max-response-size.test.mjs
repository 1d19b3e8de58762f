// general_settings.max_response_size_mb bounds an upstream body (issue 14,
// point 7): a larger answer is refused with a 500 that names the key,
// instead of the fixed 64 MiB cap; smaller answers pass.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertErrorBody, closingTest, deployment, settings, setup }
    from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings({ general: '  max_response_size_mb: 0.01' })}`);

test('an answer over the cap is refused', { timeout: 30000 }, async () => {
	const big = 'y'.repeat(20000);
	const r = await env.lx.chat({ model: 'gpt-test', messages: [{
	    role: 'user', content: `[[mock:content=${big}]]` }] });
	assert.equal(r.status, 500, r.text.slice(0, 300));
	assertErrorBody(r.json, 500,
	    /upstream response is larger than max_response_size_mb \(0\.01 MB\)/);
});

test('an answer under the cap passes', { timeout: 30000 }, async () => {
	const r = await env.lx.chat({ model: 'gpt-test', messages: [{
	    role: 'user', content: '[[mock:content=small]]' }] });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.choices[0].message.content, 'small');
});

closingTest(env);
