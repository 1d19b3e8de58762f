// The two seed configs LiteLLM users start from, copied with their groups,
// router settings and litellm settings as they are; only the models, the
// api_base and the keys point at the mock (each copy with the mock failing
// one way), plus the master key and a state folder of its own.
//
// seed-fallbacks.yaml, "fallback chains": claude-sonnet falls back to
// gpt-4o, a context-window error of gpt-4o goes to claude-sonnet, every
// group retries twice (num_retries: 2) before falling back, and
// default_fallbacks name gpt-4o, which never falls back to itself.
// seed-load-balancing.yaml, "two deployments behind one alias": gpt-4o
// spreads over both deployments under usage-based-routing, and with one
// of them failing a retry reaches the other, then the traffic moves there.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { MASTER_KEY, TMP, UPSTREAM_KEY, closingTest, setup,
    startExtra } from './lib.mjs';

const CTX = "This model's maximum context length is 8192 tokens";
const enc = encodeURIComponent;

let nstate = 0;
function ours() {
	const dir = path.join(TMP,
	    `r8-seed-configs-${process.pid}-state-${++nstate}`);
	fs.mkdirSync(dir, { recursive: true });
	return `
general_settings:
  master_key: ${MASTER_KEY}
llmux_settings:
  state_dir: ${dir}
`;
}

// seed-fallbacks.yaml; claude and gpt are the mock directives of each.
function seedFallbacks(mock, { claude = '', gpt = '' } = {}) {
	const base = (d) => d ? `${mock.base}/x/${d}/v1` : `${mock.base}/v1`;
	return `
# Fallback chains from the seed document.
model_list:
  - model_name: claude-sonnet
    litellm_params:
      model: openai/claude-sonnet-4-20250514
      api_base: "${base(claude)}"
      api_key: ${UPSTREAM_KEY}
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_base: "${base(gpt)}"
      api_key: ${UPSTREAM_KEY}
litellm_settings:
  num_retries: 2
  fallbacks: [{ "claude-sonnet": ["gpt-4o"] }]
  context_window_fallbacks: [{ "gpt-4o": ["claude-sonnet"] }]
  default_fallbacks: ["gpt-4o"]
${ours()}`;
}

// seed-load-balancing.yaml; east and west are the mock directives.
function seedLoadBalancing(mock, { east = '', west = '' } = {}) {
	const base = (d) => d ? `${mock.base}/x/${d}/v1` : `${mock.base}/v1`;
	return `
# A load-balanced group from the seed document: two deployments behind one alias.
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o-eastus
      api_base: "${base(east)}"
      api_key: ${UPSTREAM_KEY}
      rpm: 100
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o-westus
      api_base: "${base(west)}"
      api_key: ${UPSTREAM_KEY}
      rpm: 100
router_settings:
  routing_strategy: usage-based-routing
  num_retries: 2
  timeout: 30
${ours()}`;
}

// The first instance: both seeds' groups healthy.
const env = await setup((mock) => seedFallbacks(mock));
const claudeDown = await startExtra(env,
    seedFallbacks(env.mock, { claude: 'status=500' }));
const gptTooLong = await startExtra(env, seedFallbacks(env.mock,
    { gpt: `status=400,message=${enc(CTX)}` }));
const gptDown = await startExtra(env,
    seedFallbacks(env.mock, { gpt: 'status=500' }));
const lb = await startExtra(env, seedLoadBalancing(env.mock));
const lbEastDown = await startExtra(env,
    seedLoadBalancing(env.mock, { east: 'status=500' }));

const ask = (lx, model, content = 'hello') => lx.chat({ model,
    messages: [{ role: 'user', content }] });
const upstreamModels = async () =>
    (await env.mock.chatRequests()).map((q) => q.json.model);

test('fallbacks: a healthy group answers itself', { timeout: 30000 },
    async () => {
	for (const [group, up] of [['claude-sonnet',
	    'claude-sonnet-4-20250514'], ['gpt-4o', 'gpt-4o']]) {
		await env.mock.clear();
		const r = await ask(env.lx, group);
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(await upstreamModels(), [up]);
		assert.equal(r.headers['x-litellm-model-group'], group);
		assert.equal(r.headers['x-litellm-attempted-fallbacks'], '0');
	}
});

test('fallbacks: claude-sonnet, tried 3 times, falls back to gpt-4o',
    { timeout: 30000 }, async () => {
	await env.mock.clear();
	const r = await ask(claudeDown, 'claude-sonnet');
	// fallbacks and default_fallbacks both send claude-sonnet to
	// gpt-4o here: the seed gives one answer either way.
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(await upstreamModels(), ['claude-sonnet-4-20250514',
	    'claude-sonnet-4-20250514', 'claude-sonnet-4-20250514', 'gpt-4o']);
	assert.equal(r.headers['x-litellm-model-group'], 'gpt-4o');
	assert.equal(r.headers['x-litellm-attempted-fallbacks'], '1');
	assert.equal(r.headers['x-litellm-max-retries'], '2');
});

test('fallbacks: a context-window error of gpt-4o goes to claude-sonnet',
    { timeout: 30000 }, async () => {
	await env.mock.clear();
	const r = await ask(gptTooLong, 'gpt-4o');
	assert.equal(r.status, 200, r.text);
	// Not retried: a context-window error with a list of its own
	// goes to that list at once, as in LiteLLM.
	assert.deepEqual(await upstreamModels(),
	    ['gpt-4o', 'claude-sonnet-4-20250514']);
	assert.equal(r.headers['x-litellm-model-group'], 'claude-sonnet');
	assert.equal(r.headers['x-litellm-attempted-fallbacks'], '1');
});

test('fallbacks: gpt-4o failing is retried, never falls back to itself',
    { timeout: 30000 }, async () => {
	await env.mock.clear();
	const r = await ask(gptDown, 'gpt-4o');
	assert.equal(r.status, 500, r.text);
	assert.deepEqual(await upstreamModels(),
	    ['gpt-4o', 'gpt-4o', 'gpt-4o']);
	assert.equal(r.json.error.code, '500');
	// claude-sonnet still answers in the same instance.
	await env.mock.clear();
	const c = await ask(gptDown, 'claude-sonnet');
	assert.equal(c.status, 200, c.text);
	assert.deepEqual(await upstreamModels(), ['claude-sonnet-4-20250514']);
});

test('load balancing: gpt-4o spreads over both deployments',
    { timeout: 60000 }, async () => {
	await env.mock.clear();
	const ids = new Set();
	for (let i = 0; i < 20; i++) {
		const r = await ask(lb, 'gpt-4o');
		assert.equal(r.status, 200, r.text);
		assert.equal(r.headers['x-litellm-model-group'], 'gpt-4o');
		ids.add(r.headers['x-litellm-model-id']);
	}
	const n = { 'gpt-4o-eastus': 0, 'gpt-4o-westus': 0 };
	for (const m of await upstreamModels())
		n[m]++;
	assert.equal(n['gpt-4o-eastus'] + n['gpt-4o-westus'], 20,
	    JSON.stringify(n));
	// usage-based-routing takes the one with the fewer tokens this
	// minute: equal requests alternate, give or take the two workers.
	assert.ok(n['gpt-4o-eastus'] >= 5 && n['gpt-4o-westus'] >= 5,
	    JSON.stringify(n));
	assert.equal(ids.size, 2, [...ids].join(' '));
});

test('load balancing: one deployment failing, the traffic moves to the other',
    { timeout: 60000 }, async () => {
	await env.mock.clear();
	const st = [];
	for (let i = 0; i < 10; i++) {
		const r = await ask(lbEastDown, 'gpt-4o');
		st.push({ status: r.status, model: r.json && r.json.model,
		    retries: Number(r.headers['x-litellm-attempted-retries']),
		    fallbacks: r.headers['x-litellm-attempted-fallbacks'] });
	}
	const models = await upstreamModels();
	const why = JSON.stringify(st) + ' upstream: ' + models.join(' ');
	// usage-based-routing favours the failing one (it counts no
	// tokens), so the first request may spend its 2 retries on it;
	// then a retry reaches the other, and once the failing one cools
	// down the rest go straight to the healthy one.
	assert.ok(st.filter((x) => x.status !== 200).length <= 2, why);
	assert.ok(st.some((x) => x.status === 200 && x.retries >= 1), why);
	for (const x of st.slice(5))
		assert.deepEqual(x, { status: 200, model: 'gpt-4o', retries: 0,
		    fallbacks: '0' }, why);
	assert.ok(st.every((x) => x.fallbacks === '0'), why);
	assert.equal(models.slice(-5).join(' '),
	    Array(5).fill('gpt-4o-westus').join(' '), why);
});

closingTest(env);
