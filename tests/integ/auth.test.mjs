// With a master_key, the LLM routes need it, in any of the header forms
// LiteLLM reads; failures are 401 with LiteLLM's messages; the health
// routes stay open.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MASTER_KEY, OpenAI, apiError, assertErrorBody, chatBody,
    closingTest, deployment, settings, setup } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings()}`);

const BODY = chatBody('gpt-test', 'hi');
const NO_KEY = 'Authentication Error, No api key passed in.';
const BAD_KEY = 'Authentication Error, Invalid proxy server token passed.';
const b64 = (s) => Buffer.from(s).toString('base64');

function post(headers, body = BODY) {
	return env.lx.chat(body, { headers: {
	    'content-type': 'application/json', ...headers } });
}

test('every accepted header form carries the key', { timeout: 30000 },
    async () => {
	const forms = [
		{ authorization: `Bearer ${MASTER_KEY}` },
		{ authorization: `bearer ${MASTER_KEY}` },
		{ 'x-api-key': MASTER_KEY },
		{ 'api-key': MASTER_KEY },
		{ 'x-litellm-api-key': MASTER_KEY },
		{ 'x-litellm-api-key': `Bearer ${MASTER_KEY}` },
		{ authorization: `Basic ${b64(MASTER_KEY)}` },
	];
	for (const h of forms) {
		const r = await post(h);
		assert.equal(r.status, 200, `${JSON.stringify(h)}: ${r.text}`);
		assert.equal(r.json.model, 'gpt-test');
	}
});

test('no key: 401 No api key passed in', { timeout: 30000 }, async () => {
	const r = await post({});
	assert.equal(r.status, 401);
	assertErrorBody(r.json, 401, NO_KEY);
	assert.equal(r.json.error.type, 'auth_error');
	assert.match(r.headers['content-type'], /application\/json/);
});

test('wrong key in each header form: 401 Invalid proxy server token',
    { timeout: 30000 }, async () => {
	for (const h of [
		{ authorization: 'Bearer sk-wrong' },
		{ 'x-api-key': 'sk-wrong' },
		{ 'api-key': 'sk-wrong' },
		{ 'x-litellm-api-key': 'sk-wrong' },
		{ authorization: `Bearer ${MASTER_KEY}x` },
		{ authorization: `Bearer ${MASTER_KEY.slice(0, -1)}` },
	]) {
		const r = await post(h);
		assert.equal(r.status, 401, JSON.stringify(h));
		assertErrorBody(r.json, 401, BAD_KEY);
		assert.equal(r.json.error.type, 'auth_error');
	}
});

test('x-litellm-api-key wins over Authorization', { timeout: 30000 },
    async () => {
	let r = await post({ 'x-litellm-api-key': MASTER_KEY,
	    authorization: 'Bearer sk-wrong' });
	assert.equal(r.status, 200, r.text);
	r = await post({ 'x-litellm-api-key': 'sk-wrong',
	    authorization: `Bearer ${MASTER_KEY}` });
	assert.equal(r.status, 401, r.text);
});

test('Authorization with another scheme: 401 Malformed API Key',
    { timeout: 30000 }, async () => {
	for (const v of [`Token ${MASTER_KEY}`, 'Basic !!!not-base64!!!',
	    MASTER_KEY]) {
		const r = await post({ authorization: v });
		assert.equal(r.status, 401, `${v}: ${r.text}`);
		assertErrorBody(r.json, 401, /Malformed API Key/);
		assert.equal(r.json.error.type, 'auth_error');
	}
});

test('openai client with a wrong key gets AuthenticationError',
    { timeout: 30000 }, async () => {
	const e = await apiError(env.lx.client({ apiKey: 'sk-wrong' })
	    .chat.completions.create({ model: 'gpt-test',
	    messages: [{ role: 'user', content: 'hi' }] }));
	assert.ok(e instanceof OpenAI.AuthenticationError);
	assert.equal(e.status, 401);
	assert.equal(e.error.message, BAD_KEY);
	assert.equal(e.error.code, '401');
});

test('a refused request never reaches the upstream', { timeout: 30000 },
    async () => {
	await env.mock.clear();
	await post({});
	await post({ authorization: 'Bearer sk-wrong' });
	assert.deepEqual(await env.mock.chatRequests(), []);
});

test('/models and /v1/models need the key', { timeout: 30000 },
    async () => {
	for (const path of ['/models', '/v1/models', '/v1/models/gpt-test']) {
		let r = await env.lx.request({ path });
		assert.equal(r.status, 401, path);
		assertErrorBody(r.json, 401, NO_KEY);
		r = await env.lx.request({ path,
		    headers: { authorization: 'Bearer sk-wrong' } });
		assert.equal(r.status, 401, path);
		assertErrorBody(r.json, 401, BAD_KEY);
		r = await env.lx.request({ path,
		    headers: { authorization: `Bearer ${MASTER_KEY}` } });
		assert.equal(r.status, 200, path);
	}
});

test('every chat route needs the key', { timeout: 30000 }, async () => {
	for (const path of ['/chat/completions',
	    '/openai/deployments/gpt-test/chat/completions',
	    '/engines/gpt-test/chat/completions']) {
		const r = await env.lx.chat(BODY, { path, headers: {} });
		assert.equal(r.status, 401, path);
		assertErrorBody(r.json, 401, NO_KEY);
	}
});

test('health routes need no key', { timeout: 30000 }, async () => {
	for (const path of ['/health/liveliness', '/health/liveness']) {
		const r = await env.lx.request({ path });
		assert.equal(r.status, 200, path);
		assert.equal(r.json, "I'm alive!");
	}
	const r = await env.lx.request({ path: '/health/readiness' });
	assert.equal(r.status, 200);
	assert.equal(r.json.status, 'healthy');
});

test('the key is checked before the body is judged', {
    timeout: 30000 },
    async () => {
	for (const body of ['{"model":', '{}', '[1]']) {
		const r = await post({}, body);
		assert.equal(r.status, 401, `${body}: ${r.text}`);
		assertErrorBody(r.json, 401, NO_KEY);
	}
});

closingTest(env);
