// llmux_settings.sse_keepalive: while the upstream is silent (a long time
// to the first token), the client gets SSE comment lines, so idle
// timeouts of proxies in between do not cut it; SDKs ignore them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chatBody, closingTest, collect, deployment, settings, setup,
    sseData } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings({ llmux: '  sse_keepalive: 0.5' })}`);

const SLOW = 'x [[mock:latency_ms=2200,chunks=2,content=a b]]';

test('comments arrive while the upstream thinks, then the answer', {
    timeout: 30000 }, async () => {
	const r = await env.lx.chat(JSON.parse(chatBody('gpt-test', SLOW,
	    { stream: true })));
	assert.equal(r.status, 200, r.text);
	const first = r.text.indexOf('data:');
	const before = r.text.slice(0, first);
	const n = (before.match(/^: keep-alive$/gm) || []).length;
	assert.ok(n >= 2, `${n} keep-alive comments before the first event`);
	const data = sseData(r.text);
	assert.equal(data[data.length - 1], '[DONE]');
});

test('the openai client reads through the comments', { timeout: 30000 },
    async () => {
	const stream = await env.lx.client().chat.completions.create({
	    model: 'gpt-test', stream: true,
	    messages: [{ role: 'user', content: SLOW }] });
	const { text } = await collect(stream);
	assert.equal(text, 'a b');
});

test('an upstream error after the keep-alives is an SSE error event', {
    timeout: 30000 }, async () => {
	const r = await env.lx.chat(JSON.parse(chatBody('gpt-test',
	    'x [[mock:latency_ms=1500,status=503,headers_late=1]]',
	    { stream: true })));
	assert.equal(r.status, 200, 'the answer had started');
	assert.match(r.text, /: keep-alive/);
	const errs = sseData(r.text).filter((d) => d.startsWith('{"error"'));
	assert.equal(errs.length, 1, r.text);
	assert.equal(JSON.parse(errs[0]).error.code, '503');
});

closingTest(env);
