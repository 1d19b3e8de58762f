// Retries (router_settings.num_retries and the keys that override it): a
// failed call is tried again inside its group, re-entering routing, with
// the waits LiteLLM makes (none when the group has another deployment,
// else the upstream's retry-after or a backoff, never below
// router_settings.retry_after), and the headers say how many were made.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MASTER_KEY, closingTest, deployment, settings, setup } from
    './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('pair', 'openai/pair-a', `${mock.base}/x/status=500/v1`)}
${deployment('pair', 'openai/pair-b', `${mock.base}/x/status=503/v1`)}
${deployment('solo', 'openai/solo', mock.apiBase())}
${deployment('mixed', 'openai/mixed-bad', `${mock.base}/x/status=500/v1`)}
${deployment('mixed', 'openai/mixed-ok', mock.apiBase())}
${deployment('own', 'openai/own', `${mock.base}/x/status=500/v1`, `
      num_retries: 1`)}
${deployment('slow-retry', 'openai/slow', `${mock.base}/x/status=500/v1`)}
${settings({ retries: null, router: `
  disable_cooldowns: true  # cooldowns are tested on their own (r8-cooldown)
  num_retries: 3
  retry_after: 0.4` })}`);

const ask = (model, content, extra = {}) => env.lx.chat({ model,
    messages: [{ role: 'user', content }], ...extra });
const upstreamModels = async () =>
    (await env.mock.chatRequests()).map((q) => q.json.model);

test('a failing group is tried 1 + num_retries times, then answers',
    { timeout: 30000 }, async () => {
	await env.mock.clear();
	const r = await ask('pair', 'x');
	assert.ok(r.status === 500 || r.status === 503, r.text);
	const seen = await upstreamModels();
	assert.equal(seen.length, 4, `attempts: ${seen}`);
	assert.ok(seen.every((m) => m === 'pair-a' || m === 'pair-b'));
	assert.equal(r.headers['x-litellm-attempted-retries'], '3');
	assert.equal(r.headers['x-litellm-max-retries'], '3');
	assert.equal(r.headers['x-litellm-attempted-fallbacks'], '0');
	assert.equal(r.headers['x-litellm-model-group'], 'pair');
});

test('a retry re-enters routing: one request tries both deployments',
    { timeout: 30000 }, async () => {
	// A request of 4 attempts sees one deployment only with a
	// probability of 1/8; 8 requests all so, 8^-8.
	let both = 0;
	for (let i = 0; i < 8; i++) {
		await env.mock.clear();
		await ask('pair', 'x');
		both += new Set(await upstreamModels()).size === 2;
	}
	assert.ok(both > 0, 'no request went to both deployments');
});

test('a retry that reaches the working deployment answers 200',
    { timeout: 30000 }, async () => {
	for (let i = 0; i < 6; i++) {
		await env.mock.clear();
		// One deployment of two fails: 21 tries all missing the
		// good one has a probability of 2^-21.
		const r = await ask('mixed', 'ok', { num_retries: 20 });
		assert.equal(r.status, 200, r.text);
		const seen = await upstreamModels();
		assert.equal(seen[seen.length - 1], 'mixed-ok');
		assert.ok(seen.slice(0, -1).every((m) => m === 'mixed-bad'));
		assert.equal(r.headers['x-litellm-attempted-retries'],
		    String(seen.length - 1));
		assert.equal(r.headers['x-litellm-max-retries'], '20');
	}
});

test('the request\'s num_retries overrides the router\'s',
    { timeout: 30000 }, async () => {
	await env.mock.clear();
	const r = await ask('pair', 'x', { num_retries: 1 });
	assert.ok(r.status >= 500, r.text);
	assert.equal((await upstreamModels()).length, 2);
	assert.equal(r.headers['x-litellm-attempted-retries'], '1');
	assert.equal(r.headers['x-litellm-max-retries'], '1');
	// The upstream never sees the field.
	assert.ok(!(await env.mock.chatRequests()).some((q) =>
	    'num_retries' in q.json));
});

test('a deployment\'s num_retries overrides the request\'s',
    { timeout: 30000 }, async () => {
	await env.mock.clear();
	const r = await ask('own', 'x', { num_retries: 3 });
	assert.equal(r.status, 500, r.text);
	assert.equal((await upstreamModels()).length, 2);
	assert.equal(r.headers['x-litellm-max-retries'], '1');
});

test('num_retries 0 answers the first error', { timeout: 30000 },
    async () => {
	await env.mock.clear();
	const r = await ask('pair', 'x', { num_retries: 0 });
	assert.ok(r.status >= 500, r.text);
	assert.equal((await upstreamModels()).length, 1);
	assert.equal(r.headers['x-litellm-attempted-retries'], '0');
});

test('a group of one waits at least retry_after between tries',
    { timeout: 30000 }, async () => {
	await env.mock.clear();
	const r = await ask('slow-retry', 'x', { num_retries: 2 });
	assert.equal(r.status, 500, r.text);
	const t = (await env.mock.chatRequests()).map((q) => q.t_ns);
	assert.equal(t.length, 3);
	for (let i = 1; i < t.length; i++)
		assert.ok(Number(BigInt(t[i]) - BigInt(t[i - 1])) / 1e6 >= 390,
		    `gap ${i}: ${(t[i] - t[i - 1]) / 1e6} ms`);
});

test('the upstream\'s retry-after sets the wait of a group of one',
    { timeout: 30000 }, async () => {
	await env.mock.clear();
	const t0 = Date.now();
	const r = await ask('solo', 'x [[mock:status=429,retry_after=1]]',
	    { num_retries: 1 });
	assert.equal(r.status, 429, r.text);
	const t = (await env.mock.chatRequests()).map((q) => q.t_ns);
	assert.equal(t.length, 2);
	const gap = Number(BigInt(t[1]) - BigInt(t[0])) / 1e6;
	assert.ok(gap >= 990 && gap < 3000, `gap ${gap} ms`);
	assert.ok(Date.now() - t0 >= 990);
	assert.equal(r.headers['retry-after'], '1');
});

test('a worker serves others while a request waits to retry',
    { timeout: 30000 }, async () => {
	const slow = ask('solo', 'x [[mock:status=429,retry_after=2]]',
	    { num_retries: 1 });
	await new Promise((res) => setTimeout(res, 200));
	const t0 = Date.now();
	for (let i = 0; i < 4; i++) {
		const r = await ask('solo', 'fast');
		assert.equal(r.status, 200, r.text);
	}
	assert.ok(Date.now() - t0 < 1500, 'served during the wait');
	assert.equal((await slow).status, 429);
	assert.ok(Date.now() - t0 >= 1700, 'the slow one waited');
});

test('a client that leaves during the wait ends it', { timeout: 30000 },
    async () => {
	await env.mock.clear();
	const ac = new AbortController();
	const p = fetch(`${env.lx.base}/v1/chat/completions`, {
	    method: 'POST', signal: ac.signal, headers: {
	    'content-type': 'application/json',
	    authorization: `Bearer ${MASTER_KEY}` }, body: JSON.stringify({
	    model: 'solo', num_retries: 1, messages: [{ role: 'user',
	    content: 'x [[mock:status=429,retry_after=1]]' }] }) });
	await new Promise((res) => setTimeout(res, 300));
	ac.abort();
	await assert.rejects(p);
	await new Promise((res) => setTimeout(res, 1500));
	// No second attempt was made for a client that is gone.
	assert.equal((await upstreamModels()).length, 1);
	assert.equal((await ask('solo', 'still here')).status, 200);
});

test('a stream is retried before its first byte', { timeout: 30000 },
    async () => {
	await env.mock.clear();
	const r = await ask('pair', 'x', { stream: true, num_retries: 2 });
	assert.ok(r.status >= 500, r.text);
	assert.equal((await upstreamModels()).length, 3);
});

test('a stream is never retried once a byte reached the client',
    { timeout: 30000 }, async () => {
	await env.mock.clear();
	const r = await ask('solo', 'x [[mock:break_after=2]]',
	    { stream: true, num_retries: 3 });
	assert.equal(r.status, 200);
	assert.match(r.text, /"error"/);
	assert.equal((await upstreamModels()).length, 1);
});
closingTest(env);
