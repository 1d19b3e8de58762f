// GET /model/info, /v1/model/info and /model_group/info in LiteLLM's
// shapes: every deployment with its model_info and litellm_params, never
// a key, a secret header or an api_base's userinfo or query; one entry
// per model group with its providers, largest window and summed limits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MASTER_KEY, UPSTREAM_KEY, closingTest, deployment, settings, setup }
    from './lib.mjs';

const SECRET_HDR = 'Bearer sk-header-secret-5555';

const env = await setup((mock) => {
	const u = new URL(mock.apiBase());
	const hidden = `http://user:pw-hidden@${u.host}${u.pathname}` +
	    '?api-key=q-secret';
	return `
model_list:
${deployment('gpt-a', 'openai/up-a', hidden, `      rpm: 10
      tpm: 1000
      tags: [blue]
      extra_headers: { Authorization: "${SECRET_HDR}" }
    model_info:
      id: dep-a1
      max_input_tokens: 4096`)}
${deployment('gpt-a', 'openai/gpt-4o', mock.apiBase(), `      rpm: 5
    model_info:
      id: dep-a2`)}
${deployment('gpt-b', 'groq/llama3-8b-8192', mock.apiBase())}
${settings({ router: `  model_group_alias:
    shown: gpt-b
    secret-alias: { model: gpt-a, hidden: true }` })}`;
});

const AUTH = { authorization: `Bearer ${MASTER_KEY}` };

function noSecrets(text) {
	for (const s of [UPSTREAM_KEY, 'pw-hidden', 'q-secret',
	    'sk-header-secret', MASTER_KEY])
		assert.ok(!text.includes(s), `the answer shows ${s}: ${text}`);
}

test('/model/info and /v1/model/info list every deployment', {
    timeout: 30000 }, async () => {
	for (const path of ['/model/info', '/v1/model/info']) {
		const r = await env.lx.request({ path, headers: AUTH });
		assert.equal(r.status, 200, r.text);
		assert.match(r.headers['content-type'], /application\/json/);
		noSecrets(r.text);
		const d = r.json.data;
		assert.equal(d.length, 3);
		assert.deepEqual(d.map((x) => x.model_name),
		    ['gpt-a', 'gpt-a', 'gpt-b']);
		const [a1, a2, b] = d;
		assert.equal(a1.litellm_params.model, 'openai/up-a');
		assert.equal(a1.litellm_params.rpm, 10);
		assert.equal(a1.litellm_params.tpm, 1000);
		assert.deepEqual(a1.litellm_params.tags, ['blue']);
		assert.ok(!('api_key' in a1.litellm_params));
		assert.ok(!('extra_headers' in a1.litellm_params));
		assert.equal(a1.litellm_params.api_base,
		    new URL(env.mock.apiBase()).origin +
		    new URL(env.mock.apiBase()).pathname.replace(/\/$/, ''));
		assert.equal(a1.model_info.id, 'dep-a1');
		assert.equal(a1.model_info.max_input_tokens, 4096);
		assert.equal(a1.model_info.mode, 'chat');
		assert.equal(a1.model_info.litellm_provider, 'openai');
		assert.equal(a1.model_info.db_model, false);
		// What the config leaves out, the price map fills in.
		assert.equal(a2.model_info.id, 'dep-a2');
		assert.equal(a2.model_info.max_input_tokens, 128000);
		assert.equal(a2.model_info.input_cost_per_token, 0.0000025);
		assert.equal(b.model_info.litellm_provider, 'groq');
		assert.match(b.model_info.id, /^[0-9a-f]{64}$/);
	}
});

test('?litellm_model_id= narrows /model/info to one deployment', {
    timeout: 30000 }, async () => {
	let r = await env.lx.request({ path: '/model/info?litellm_model_id=' +
	    'dep-a2', headers: AUTH });
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json.data.map((x) => x.model_info.id), ['dep-a2']);
	r = await env.lx.request({ path: '/v1/model/info?litellm_model_id=' +
	    'nope', headers: AUTH });
	assert.equal(r.status, 400, r.text);
	assert.equal(r.json.error.message,
	    'Model id = nope not found on litellm proxy');
});

test('/model_group/info: one entry per group and visible alias', {
    timeout: 30000 }, async () => {
	const r = await env.lx.request({ path: '/model_group/info',
	    headers: AUTH });
	assert.equal(r.status, 200, r.text);
	noSecrets(r.text);
	const d = r.json.data;
	assert.deepEqual(d.map((x) => x.model_group), ['gpt-a', 'gpt-b',
	    'shown']);
	const a = d[0];
	assert.deepEqual(a.providers, ['openai']);
	assert.equal(a.rpm, 15);
	assert.equal(a.tpm, 1000);
	assert.equal(a.max_input_tokens, 128000);
	assert.equal(a.input_cost_per_token, 0.0000025);
	assert.equal(a.mode, 'chat');
	assert.equal(a.supports_function_calling, false);
	assert.ok(a.supported_openai_params.includes('tools'));
	assert.deepEqual(d[1].providers, ['groq']);
	assert.equal(d[1].rpm, null);
	assert.deepEqual(d[2].providers, ['groq']);
	const one = await env.lx.request({
	    path: '/model_group/info?model_group=gpt-b', headers: AUTH });
	assert.deepEqual(one.json.data.map((x) => x.model_group), ['gpt-b']);
});

test('the model endpoints need the master key', { timeout: 30000 },
    async () => {
	for (const path of ['/model/info', '/v1/model/info',
	    '/model_group/info']) {
		let r = await env.lx.request({ path });
		assert.equal(r.status, 401, `${path}: ${r.text}`);
		r = await env.lx.request({ path,
		    headers: { authorization: 'Bearer sk-wrong' } });
		assert.equal(r.status, 401, `${path}: ${r.text}`);
	}
});

closingTest(env);
