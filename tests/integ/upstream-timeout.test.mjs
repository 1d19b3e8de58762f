// An upstream slower than the deployment's timeout (or the request's, or
// litellm_settings.request_timeout) gives 408 with LiteLLM's
// "litellm.Timeout:" message, and the upstream call is abandoned.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpenAI, apiError, assertErrorBody, closingTest, deployment,
    settings, setup, startExtra, waitFor } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('slow', 'openai/up-model', mock.apiBase(), `
      timeout: 1`)}
${deployment('patient', 'openai/up-model', mock.apiBase())}
${settings()}`);

const SLOW = 'x [[mock:latency_ms=3000]]';

test('deployment timeout 1 s, upstream takes 3 s: 408 litellm.Timeout',
    { timeout: 30000 }, async () => {
	const before = await env.mock.stats();
	const e = await apiError(env.lx.client().chat.completions.create({
	    model: 'slow', messages: [{ role: 'user', content: SLOW }] }));
	assert.equal(e.status, 408);
	assert.match(e.error.message, /^litellm\.Timeout: /);
	assert.equal(e.error.code, '408');
	// llmux hung up on the upstream rather than waiting for it.
	await waitFor(async () => (await env.mock.stats()).aborted >
	    before.aborted, { timeout: 8000, what: 'upstream abandoned' });
});

test('the same request within the timeout succeeds', { timeout: 30000 },
    async () => {
	const r = await env.lx.chat({ model: 'slow', messages: [{
	    role: 'user', content: 'x [[mock:latency_ms=200]]' }] });
	assert.equal(r.status, 200, r.text);
});

test('a per-request timeout gives 408 too', { timeout: 30000 },
    async () => {
	const r = await env.lx.chat({ model: 'patient', timeout: 1,
	    messages: [{ role: 'user', content: SLOW }] });
	assert.equal(r.status, 408, r.text);
	assertErrorBody(r.json, 408, /^litellm\.Timeout: /);
});

test('litellm_settings.request_timeout applies without a deployment ' +
    'timeout', { timeout: 30000 }, async () => {
	const lx = await startExtra(env, `
model_list:
${deployment('patient', 'openai/up-model', env.mock.apiBase())}
${settings({ requestTimeout: 1 })}`);
	const r = await lx.chat({ model: 'patient',
	    messages: [{ role: 'user', content: SLOW }] });
	assert.equal(r.status, 408, r.text);
	assertErrorBody(r.json, 408, /^litellm\.Timeout: /);
	const e = await apiError(lx.client().chat.completions.create({
	    model: 'patient', messages: [{ role: 'user', content: SLOW }] }));
	assert.ok(e instanceof OpenAI.APIError);
	assert.equal(e.status, 408);
});

closingTest(env);
