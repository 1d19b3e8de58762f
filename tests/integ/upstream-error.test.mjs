// An upstream error status comes back to the client with the same status
// and LiteLLM's message: litellm.<Class>: <Class>: OpenAIException -
// <upstream message>.  Nothing is retried behind the client's back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpenAI, apiError, assertErrorBody, closingTest, deployment,
    settings, setup } from './lib.mjs';

// One status after another on one deployment: a 401 or 404 would cool it
// down, as in LiteLLM, and answer the next test with a 429.
const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings({ router: '  disable_cooldowns: true' })}`);

const create = (content) => env.lx.client().chat.completions.create({
    model: 'gpt-test', messages: [{ role: 'user', content }] });

test('upstream 500 comes back as 500 InternalServerError',
    { timeout: 30000 }, async () => {
	await env.mock.clear();
	const e = await apiError(create(
	    'x [[mock:status=500,message=upstream exploded]]'));
	assert.ok(e instanceof OpenAI.InternalServerError);
	assert.equal(e.status, 500);
	assert.equal(e.error.message, 'litellm.InternalServerError: ' +
	    'InternalServerError: OpenAIException - upstream exploded');
	assert.equal(e.error.code, '500');
	assert.equal((await env.mock.chatRequests()).length, 1,
	    'exactly one upstream attempt');
});

test('upstream 429 comes back as 429 RateLimitError',
    { timeout: 30000 }, async () => {
	const e = await apiError(create(
	    'x [[mock:status=429,message=slow down please]]'));
	assert.ok(e instanceof OpenAI.RateLimitError);
	assert.equal(e.status, 429);
	assert.equal(e.error.message, 'litellm.RateLimitError: ' +
	    'RateLimitError: OpenAIException - slow down please');
	assert.equal(e.error.code, '429');
});

test('each upstream status maps to its LiteLLM class', {
    timeout: 30000 }, async () => {
	const classes = {
		400: 'BadRequestError',
		401: 'AuthenticationError',
		403: 'PermissionDeniedError',
		404: 'NotFoundError',
		422: 'UnprocessableEntityError',
		429: 'RateLimitError',
		500: 'InternalServerError',
		502: 'BadGatewayError',
		503: 'ServiceUnavailableError',
	};
	for (const [status, cls] of Object.entries(classes)) {
		const r = await env.lx.chat({ model: 'gpt-test', messages: [{
		    role: 'user',
		    content: `[[mock:status=${status},message=m${status}]]` }] });
		assert.equal(r.status, Number(status), r.text);
		assertErrorBody(r.json, status, `litellm.${cls}: ${cls}: ` +
		    `OpenAIException - m${status}`);
	}
});

test('the upstream message is carried verbatim', { timeout: 30000 },
    async () => {
	const r = await env.lx.chat({ model: 'gpt-test', messages: [{
	    role: 'user', content: '[[mock:status=400,message=bad "quoted' +
	    '" \u00e9%2C and a comma]]' }] });
	assert.equal(r.status, 400, r.text);
	assert.equal(r.json.error.message, 'litellm.BadRequestError: ' +
	    'BadRequestError: OpenAIException - bad "quoted" \u00e9, ' +
	    'and a comma');
});

closingTest(env);
