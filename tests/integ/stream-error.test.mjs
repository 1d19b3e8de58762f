// An upstream failure on a stream: before the first byte the client gets
// the JSON error with the upstream's status; after it (the upstream drops
// the connection mid-stream) an SSE data: {"error": ...} event, then the
// stream ends.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpenAI, apiError, assertErrorBody, closingTest, deployment,
    settings, setup, sseData } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings()}`);

test('error before the first byte: JSON with the upstream status', {
    timeout: 30000 }, async () => {
	for (const [status, cls] of [[503, 'ServiceUnavailableError'],
	    [429, 'RateLimitError'], [400, 'BadRequestError']]) {
		const r = await env.lx.chat({ model: 'gpt-test', stream: true,
		    messages: [{ role: 'user', content:
		    `x [[mock:status=${status},message=nope ${status}]]` }] });
		assert.equal(r.status, status, r.text);
		assert.match(r.headers['content-type'], /application\/json/);
		assertErrorBody(r.json, status, `litellm.${cls}: ${cls}: ` +
		    `OpenAIException - nope ${status}`);
	}
});

test('the openai client sees it as an APIError with that status', {
    timeout: 30000 }, async () => {
	const e = await apiError(env.lx.client().chat.completions.create({
	    model: 'gpt-test', stream: true, messages: [{ role: 'user',
	    content: 'x [[mock:status=503]]' }] }));
	assert.equal(e.status, 503);
	assert.match(e.error.message, /^litellm\.ServiceUnavailableError: /);
});

test('break after the first bytes: an SSE error event, then the end', {
    timeout: 30000 }, async () => {
	const r = await env.lx.chat({ model: 'gpt-test', stream: true,
	    messages: [{ role: 'user', content:
	    'x [[mock:chunks=5,break_after=2]]' }] });
	assert.equal(r.status, 200);
	assert.match(r.headers['content-type'], /^text\/event-stream/);
	const data = sseData(r.text);
	const i = data.findIndex((d) => d.startsWith('{"error"'));
	assert.ok(i > 0, `no error event: ${r.text}`);
	const content = data.slice(0, i).map((d) => JSON.parse(d))
	    .map((c) => c.choices[0].delta.content || '').join('');
	assert.equal(content, 'tok0 tok1 ');
	const err = JSON.parse(data[i]).error;
	for (const k of ['message', 'type', 'param', 'code'])
		assert.ok(k in err, `error event lacks ${k}`);
	assert.ok(err.message.length > 0);
	// Nothing but an optional [DONE] after the error.
	assert.ok(data.slice(i + 1).every((d) => d === '[DONE]'),
	    JSON.stringify(data.slice(i + 1)));
});

test('the openai client gets the chunks, then an APIError', {
    timeout: 30000 }, async () => {
	const stream = await env.lx.client().chat.completions.create({
	    model: 'gpt-test', stream: true, messages: [{ role: 'user',
	    content: 'x [[mock:chunks=5,break_after=2]]' }] });
	let text = '';
	let err = null;
	try {
		for await (const c of stream)
			text += c.choices[0]?.delta?.content || '';
	} catch (e) {
		err = e;
	}
	assert.equal(text, 'tok0 tok1 ');
	assert.ok(err instanceof OpenAI.APIError, `got ${err}`);
});

test('the mock saw the breaks and llmux keeps serving', {
    timeout: 30000 }, async () => {
	const s = await env.mock.stats();
	assert.equal(s.streams_broken, 2);
	const r = await env.lx.chat({ model: 'gpt-test', stream: true,
	    messages: [{ role: 'user', content: 'x' }] });
	assert.equal(r.status, 200);
	assert.equal(sseData(r.text).pop(), '[DONE]');
});

closingTest(env);
