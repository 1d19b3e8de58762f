// A streamed chat completion through llmux with the official client:
// every chunk carries the requested model name, the deltas add up to the
// upstream's text, include_usage brings the usage chunk, and the wire
// format is SSE ending in data: [DONE].
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closingTest, collect, deployment, settings, setup, sseData }
    from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings()}`);

test('openai client streams a completion with usage', { timeout: 30000 },
    async () => {
	const { lx, mock } = env;
	await mock.clear();
	const stream = await lx.client().chat.completions.create({
		model: 'gpt-test',
		stream: true,
		stream_options: { include_usage: true },
		messages: [{ role: 'user', content: 'hi [[mock:chunks=4,' +
		    'content=one two three four,prompt_tokens=9,' +
		    'completion_tokens=4]]' }],
	});
	const { chunks, text } = await collect(stream);
	assert.equal(text, 'one two three four');
	assert.ok(chunks.length >= 6, `${chunks.length} chunks`);
	for (const c of chunks) {
		assert.equal(c.object, 'chat.completion.chunk');
		assert.equal(c.model, 'gpt-test');
	}
	const fin = chunks.filter((c) => c.choices.length > 0 &&
	    c.choices[0].finish_reason);
	assert.equal(fin.length, 1);
	assert.equal(fin[0].choices[0].finish_reason, 'stop');
	const last = chunks[chunks.length - 1];
	assert.deepEqual(last.choices, []);
	assert.deepEqual({ p: last.usage.prompt_tokens,
	    c: last.usage.completion_tokens, t: last.usage.total_tokens },
	    { p: 9, c: 4, t: 13 });
	const seen = await mock.chatRequests();
	assert.equal(seen.length, 1);
	assert.equal(seen[0].json.stream, true);
	assert.deepEqual(seen[0].json.stream_options,
	    { include_usage: true });
});

test('without include_usage there is no usage chunk', { timeout: 30000 },
    async () => {
	const stream = await env.lx.client().chat.completions.create({
		model: 'gpt-test', stream: true,
		messages: [{ role: 'user', content: 'x [[mock:chunks=2]]' }],
	});
	const { chunks } = await collect(stream);
	assert.ok(chunks.length > 0);
	assert.ok(chunks.every((c) => c.choices.length > 0 && !c.usage),
	    JSON.stringify(chunks));
});

test('the wire format is SSE ending in [DONE]', { timeout: 30000 },
    async () => {
	const r = await env.lx.chat({ model: 'gpt-test', stream: true,
	    messages: [{ role: 'user', content: 'x [[mock:chunks=3]]' }] });
	assert.equal(r.status, 200);
	assert.match(r.headers['content-type'], /^text\/event-stream/);
	const data = sseData(r.text);
	assert.equal(data[data.length - 1], '[DONE]');
	assert.equal(data.filter((d) => d === '[DONE]').length, 1);
	for (const d of data.slice(0, -1))
		assert.equal(JSON.parse(d).model, 'gpt-test');
});

closingTest(env);
