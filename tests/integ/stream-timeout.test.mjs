// stream_timeout on a stream: no first byte within it gives the 408 JSON
// error; a stream that keeps sending runs longer than stream_timeout; a
// stream that stalls after it started ends with an SSE error event.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiError, assertErrorBody, closingTest, collect, deployment,
    settings, setup, sseData } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase(), `
      stream_timeout: 1
      timeout: 30`)}
${settings()}`);

test('no first byte within stream_timeout: 408 JSON', { timeout: 30000 }, async () => {
	const r = await env.lx.chat({ model: 'gpt-test', stream: true,
	    messages: [{ role: 'user', content:
	    'x [[mock:latency_ms=3000,headers_late=1]]' }] });
	assert.equal(r.status, 408, r.text);
	assert.match(r.headers['content-type'], /application\/json/);
	assertErrorBody(r.json, 408, /^litellm\.Timeout: /);
});

test('the openai client sees the 408 as an APIError', { timeout: 30000 }, async () => {
	const e = await apiError(env.lx.client().chat.completions.create({
	    model: 'gpt-test', stream: true, messages: [{ role: 'user',
	    content: 'x [[mock:latency_ms=3000,headers_late=1]]' }] }));
	assert.equal(e.status, 408);
	assert.match(e.error.message, /^litellm\.Timeout: /);
});

test('a steady stream may last longer than stream_timeout', {
    timeout: 30000 }, async () => {
	const stream = await env.lx.client().chat.completions.create({
	    model: 'gpt-test', stream: true, messages: [{ role: 'user',
	    content: 'x [[mock:chunks=6,chunk_delay_ms=400,content=a b c' +
	    ' d e f]]' }] });
	const { text } = await collect(stream);
	assert.equal(text, 'a b c d e f');
});

test('a stall after the first byte ends the stream with an SSE error',
    { timeout: 30000 }, async () => {
	const r = await env.lx.chat({ model: 'gpt-test', stream: true,
	    messages: [{ role: 'user', content:
	    'x [[mock:chunks=1,chunk_delay_ms=4000]]' }] });
	assert.equal(r.status, 200);
	const data = sseData(r.text);
	const errs = data.filter((d) => d.startsWith('{"error"'));
	assert.equal(errs.length, 1, r.text);
	assert.ok(JSON.parse(errs[0]).error.message.length > 0);
	assert.ok(!data.some((d) => d.includes('tok0')),
	    'the stream was not cut at the stall');
});

closingTest(env);
