// What the upstream receives: the deployment's api_key as a Bearer
// token (never the client's key), the model without its provider prefix,
// the OpenAI parameters as sent, none of LiteLLM's proxy-only fields;
// and llmux never writes the keys to its log.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MASTER_KEY, UPSTREAM_KEY, closingTest, deployment, settings,
    setup } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model-2024', mock.apiBase())}
${settings()}`);

const PROXY_ONLY = {
	metadata: { tag: 'm' },
	fallbacks: ['other-model'],
	num_retries: 3,
	litellm_metadata: { a: 1 },
	tags: ['t1'],
	caching: false,
	api_key: 'sk-from-client',
	api_base: 'http://127.0.0.1:1/v1',
	litellm_call_id: 'x',
	user_config: {},
	context_window_fallbacks: [],
	mock_testing_fallbacks: false,
};

const OPENAI = {
	temperature: 0.25,
	top_p: 0.5,
	max_tokens: 77,
	stop: ['\n\n', 'END'],
	user: 'user-42',
	seed: 7,
	n: 1,
	presence_penalty: 0.1,
	frequency_penalty: -0.1,
	logit_bias: { 50256: -100 },
	response_format: { type: 'json_object' },
	tools: [{ type: 'function', function: { name: 'f',
	    parameters: { type: 'object', properties: {} } } }],
	tool_choice: 'auto',
	unknown_future_param: { nested: [1, 2, { x: null }] },
};

const MESSAGES = [
	{ role: 'system', content: 'be brief' },
	{ role: 'user', content: 'caf\u00e9 \u2713 "quoted" \\ \n line' },
];

async function onlyUpstreamRequest() {
	const seen = await env.mock.chatRequests();
	assert.equal(seen.length, 1, 'one upstream request');
	return seen[0];
}

test('upstream gets the Bearer api_key, not the client key', {
    timeout: 30000 }, async () => {
	for (const h of [{ authorization: `Bearer ${MASTER_KEY}` },
	    { 'x-api-key': MASTER_KEY }, { 'api-key': MASTER_KEY },
	    { 'x-litellm-api-key': MASTER_KEY }]) {
		await env.mock.clear();
		const r = await env.lx.chat({ model: 'gpt-test',
		    messages: MESSAGES }, { headers: h });
		assert.equal(r.status, 200, r.text);
		const q = await onlyUpstreamRequest();
		assert.equal(q.method, 'POST');
		assert.equal(q.path, '/v1/chat/completions');
		assert.equal(q.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
		const all = JSON.stringify(q.headers) + q.body;
		assert.ok(!all.includes(MASTER_KEY),
		    `client key forwarded: ${JSON.stringify(q.headers)}`);
		assert.match(q.headers['content-type'], /application\/json/);
	}
});

test('the model goes upstream without its provider prefix', {
    timeout: 30000 }, async () => {
	await env.mock.clear();
	await env.lx.chat({ model: 'gpt-test', messages: MESSAGES });
	const q = await onlyUpstreamRequest();
	assert.equal(q.json.model, 'up-model-2024');
});

test('OpenAI parameters and messages are forwarded as sent', {
    timeout: 30000 }, async () => {
	await env.mock.clear();
	const r = await env.lx.client().chat.completions.create({
	    model: 'gpt-test', messages: MESSAGES, ...OPENAI });
	assert.equal(r.model, 'gpt-test');
	const q = await onlyUpstreamRequest();
	assert.deepEqual(q.json.messages, MESSAGES);
	for (const [k, v] of Object.entries(OPENAI))
		assert.deepEqual(q.json[k], v, k);
});

test('proxy-only fields never reach the upstream', { timeout: 30000 },
    async () => {
	await env.mock.clear();
	const r = await env.lx.chat({ model: 'gpt-test', messages: MESSAGES,
	    temperature: 0.3, ...PROXY_ONLY });
	assert.equal(r.status, 200, r.text);
	const q = await onlyUpstreamRequest();
	for (const k of Object.keys(PROXY_ONLY))
		assert.ok(!(k in q.json), `${k} was forwarded`);
	assert.equal(q.json.temperature, 0.3);
	// The client's api_key/api_base changed nothing.
	assert.equal(q.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
	assert.ok(!q.body.includes('sk-from-client'));
});

test('a streamed request is forwarded the same way', { timeout: 30000 },
    async () => {
	await env.mock.clear();
	const r = await env.lx.chat({ model: 'gpt-test', stream: true,
	    stream_options: { include_usage: true }, messages: MESSAGES,
	    temperature: 0.9, metadata: { a: 1 }, num_retries: 2 });
	assert.equal(r.status, 200);
	const q = await onlyUpstreamRequest();
	assert.equal(q.json.model, 'up-model-2024');
	assert.equal(q.json.stream, true);
	assert.deepEqual(q.json.stream_options, { include_usage: true });
	assert.equal(q.json.temperature, 0.9);
	assert.ok(!('metadata' in q.json) && !('num_retries' in q.json));
	assert.equal(q.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
});

test('neither key appears in the log', { timeout: 30000 }, async () => {
	const log = env.lx.stderr();
	assert.ok(log.length > 0, 'no log at all');
	assert.ok(!log.includes(UPSTREAM_KEY), 'upstream api_key logged');
	assert.ok(!log.includes(MASTER_KEY), 'master key logged');
});

closingTest(env);
