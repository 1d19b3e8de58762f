// litellm_params.mock_response (or mock_response in the request) answers
// without any upstream call, plain and streamed, with usage 10/20/30.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closingTest, collect, deployment, settings, setup, sseData }
    from './lib.mjs';

// The mocked deployment points at the mock too: any call would show.
const env = await setup((mock) => `
model_list:
${deployment('canned', 'openai/canned-model', mock.apiBase(), `
      mock_response: "This is a canned answer."`)}
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings()}`);

test('mock_response in the config: plain', { timeout: 30000 },
    async () => {
	await env.mock.clear();
	const r = await env.lx.client().chat.completions.create({
	    model: 'canned', messages: [{ role: 'user', content: 'hi' }] });
	assert.equal(r.choices[0].message.content, 'This is a canned answer.');
	assert.equal(r.choices[0].message.role, 'assistant');
	assert.equal(r.choices[0].finish_reason, 'stop');
	assert.equal(r.model, 'canned');
	assert.equal(r.object, 'chat.completion');
	assert.deepEqual({ p: r.usage.prompt_tokens,
	    c: r.usage.completion_tokens, t: r.usage.total_tokens },
	    { p: 10, c: 20, t: 30 });
	assert.deepEqual(await env.mock.requests(), [], 'upstream called');
});

test('mock_response in the config: streamed', { timeout: 30000 },
    async () => {
	await env.mock.clear();
	const stream = await env.lx.client().chat.completions.create({
	    model: 'canned', stream: true,
	    stream_options: { include_usage: true },
	    messages: [{ role: 'user', content: 'hi' }] });
	const { chunks, text } = await collect(stream);
	assert.equal(text, 'This is a canned answer.');
	assert.ok(chunks.length >= 3, `${chunks.length} chunks`);
	assert.ok(chunks.every((c) => c.model === 'canned' &&
	    c.object === 'chat.completion.chunk'));
	const fin = chunks.filter((c) => c.choices[0]?.finish_reason);
	assert.equal(fin.length, 1);
	assert.equal(fin[0].choices[0].finish_reason, 'stop');
	const usage = chunks.map((c) => c.usage).filter(Boolean);
	assert.equal(usage.length, 1, 'one usage chunk');
	assert.deepEqual({ p: usage[0].prompt_tokens,
	    c: usage[0].completion_tokens, t: usage[0].total_tokens },
	    { p: 10, c: 20, t: 30 });
	assert.deepEqual(await env.mock.requests(), []);
});

test('mock_response streamed on the wire ends with [DONE]', {
    timeout: 30000 }, async () => {
	const r = await env.lx.chat({ model: 'canned', stream: true,
	    messages: [{ role: 'user', content: 'hi' }] });
	assert.equal(r.status, 200);
	assert.match(r.headers['content-type'], /^text\/event-stream/);
	assert.equal(sseData(r.text).pop(), '[DONE]');
});

test('mock_response in the request body', { timeout: 30000 },
    async () => {
	await env.mock.clear();
	const r = await env.lx.client().chat.completions.create({
	    model: 'gpt-test', mock_response: 'from the request',
	    messages: [{ role: 'user', content: 'hi' }] });
	assert.equal(r.choices[0].message.content, 'from the request');
	assert.equal(r.model, 'gpt-test');
	assert.deepEqual(await env.mock.requests(), []);
	const s = await env.lx.client().chat.completions.create({
	    model: 'gpt-test', mock_response: 'streamed request',
	    stream: true, messages: [{ role: 'user', content: 'hi' }] });
	assert.equal((await collect(s)).text, 'streamed request');
	assert.deepEqual(await env.mock.requests(), []);
});

closingTest(env);
