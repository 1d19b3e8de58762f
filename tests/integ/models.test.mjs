// GET /models and /v1/models list the model_name aliases (each once,
// wildcards literally) in OpenAI's shape; /v1/models/{id} retrieves one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MASTER_KEY, closingTest, deployment, settings, setup }
    from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-a', 'openai/up-a', mock.apiBase())}
${deployment('gpt-b', 'openai/up-b', mock.apiBase())}
${deployment('gpt-a', 'openai/up-a2', mock.apiBase())}
${deployment('openai/*', 'openai/*', mock.apiBase())}
  - model_name: canned
    litellm_params:
      model: openai/x
      mock_response: hi
${settings()}`);

const NAMES = ['canned', 'gpt-a', 'gpt-b', 'openai/*'];
const AUTH = { authorization: `Bearer ${MASTER_KEY}` };

test('/models and /v1/models list the names in OpenAI shape', {
    timeout: 30000 }, async () => {
	for (const path of ['/models', '/v1/models']) {
		const r = await env.lx.request({ path, headers: AUTH });
		assert.equal(r.status, 200, r.text);
		assert.match(r.headers['content-type'], /application\/json/);
		assert.equal(r.json.object, 'list');
		assert.deepEqual(r.json.data.map((m) => m.id).sort(), NAMES);
		for (const m of r.json.data) {
			assert.equal(m.object, 'model');
			assert.equal(m.owned_by, 'openai');
			assert.equal(typeof m.created, 'number');
		}
	}
});

test('the openai client lists and retrieves models', { timeout: 30000 },
    async () => {
	const client = env.lx.client();
	const ids = [];
	for await (const m of client.models.list())
		ids.push(m.id);
	assert.deepEqual(ids.sort(), NAMES);
	const one = await client.models.retrieve('gpt-b');
	assert.equal(one.id, 'gpt-b');
	assert.equal(one.object, 'model');
});

test('an unknown model id is an error', { timeout: 30000 }, async () => {
	const r = await env.lx.request({ path: '/v1/models/nope',
	    headers: AUTH });
	assert.ok(r.status >= 400 && r.status < 500, `${r.status}`);
	assert.equal(r.json.error.code, String(r.status));
});

closingTest(env);
