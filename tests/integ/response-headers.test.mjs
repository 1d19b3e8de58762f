// The x-litellm-* response headers: call id, the deployment's id and
// api_base, the model group, durations; on plain answers, streams and
// upstream errors, each header once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closingTest, deployment, headerCount, settings, setup }
    from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase(), `
    model_info:
      id: deploy-one`)}
${deployment('no-id', 'openai/up-model', mock.apiBase())}
${settings()}`);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MS = /^\d+(\.\d+)?$/;
const NAMES = ['x-litellm-call-id', 'x-litellm-model-id',
    'x-litellm-model-api-base', 'x-litellm-model-group'];

function routed(r, { group, id, base }) {
	assert.match(r.headers['x-litellm-call-id'], UUID);
	assert.equal(r.headers['x-litellm-model-group'], group);
	if (id)
		assert.equal(r.headers['x-litellm-model-id'], id);
	else
		assert.ok(r.headers['x-litellm-model-id'], 'no model id');
	assert.equal(r.headers['x-litellm-model-api-base'], base);
}

test('plain answer: call id, model id, api_base, group, durations', {
    timeout: 30000 }, async () => {
	const r = await env.lx.chat({ model: 'gpt-test',
	    messages: [{ role: 'user', content: 'x [[mock:latency_ms=300]]' }] });
	assert.equal(r.status, 200);
	routed(r, { group: 'gpt-test', id: 'deploy-one',
	    base: env.mock.apiBase() });
	const total = r.headers['x-litellm-response-duration-ms'];
	const over = r.headers['x-litellm-overhead-duration-ms'];
	assert.match(total, MS);
	assert.match(over, MS);
	// The upstream took 300 ms: the response took at least that,
	// and the overhead excludes it.
	assert.ok(Number(total) >= 250, `duration ${total}`);
	assert.ok(Number(over) < Number(total), `${over} < ${total}`);
	for (const n of [...NAMES, 'x-litellm-response-duration-ms',
	    'x-litellm-overhead-duration-ms'])
		assert.equal(headerCount(r.rawHeaders, n), 1, n);
});

test('a deployment without model_info.id still has a stable id', {
    timeout: 30000 }, async () => {
	const a = await env.lx.chat({ model: 'no-id',
	    messages: [{ role: 'user', content: 'x' }] });
	const b = await env.lx.chat({ model: 'no-id',
	    messages: [{ role: 'user', content: 'x' }] });
	routed(a, { group: 'no-id', base: env.mock.apiBase() });
	assert.equal(a.headers['x-litellm-model-id'],
	    b.headers['x-litellm-model-id']);
	assert.notEqual(a.headers['x-litellm-model-id'], 'deploy-one');
});

test('every response gets a new call id', { timeout: 30000 },
    async () => {
	const ids = new Set();
	for (let i = 0; i < 5; i++) {
		const r = await env.lx.chat({ model: 'gpt-test',
		    messages: [{ role: 'user', content: 'x' }] });
		ids.add(r.headers['x-litellm-call-id']);
	}
	assert.equal(ids.size, 5);
});

test('stream: the routing headers come with the event stream', {
    timeout: 30000 }, async () => {
	const r = await env.lx.chat({ model: 'gpt-test', stream: true,
	    messages: [{ role: 'user', content: 'x' }] });
	assert.equal(r.status, 200);
	routed(r, { group: 'gpt-test', id: 'deploy-one',
	    base: env.mock.apiBase() });
	for (const n of NAMES)
		assert.equal(headerCount(r.rawHeaders, n), 1, n);
});

test('the openai client sees them too', { timeout: 30000 }, async () => {
	const { response } = await env.lx.client().chat.completions.create({
	    model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] })
	    .withResponse();
	assert.equal(response.headers.get('x-litellm-model-id'),
	    'deploy-one');
	assert.match(response.headers.get('x-litellm-call-id'), UUID);
});

test('auth errors carry a call id', { timeout: 30000 }, async () => {
	const r = await env.lx.chat({ model: 'gpt-test',
	    messages: [{ role: 'user', content: 'x' }] }, { headers: {} });
	assert.equal(r.status, 401);
	assert.match(r.headers['x-litellm-call-id'], UUID);
	assert.equal(headerCount(r.rawHeaders, 'x-litellm-call-id'), 1);
});

test('an upstream error has the routing headers', { timeout: 30000 },
    async () => {
	const r = await env.lx.chat({ model: 'gpt-test',
	    messages: [{ role: 'user', content: 'x [[mock:status=500]]' }] });
	assert.equal(r.status, 500);
	assert.equal(r.headers['x-litellm-model-id'].split(',')[0],
	    'deploy-one');
	assert.ok(r.headers['x-litellm-call-id']);
});

test('an upstream error has each header once', { timeout: 30000 },
    async () => {
	const r = await env.lx.chat({ model: 'gpt-test',
	    messages: [{ role: 'user', content: 'x [[mock:status=500]]' }] });
	assert.equal(r.status, 500);
	for (const n of NAMES)
		assert.equal(headerCount(r.rawHeaders, n), 1, n);
	routed(r, { group: 'gpt-test', id: 'deploy-one',
	    base: env.mock.apiBase() });
});

closingTest(env);
