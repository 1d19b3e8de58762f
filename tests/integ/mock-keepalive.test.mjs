// The harness itself: llmux-mock answers each request on a keep-alive
// connection with that request's own response.  llmux reuses its
// upstream connections, so every other test relies on this.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, test } from 'node:test';
import { chatBody, request, sanitizerReports, sseData, startMock }
    from './lib.mjs';

const mock = await startMock();
after(() => mock.stop().catch(() => {}));

const post = (agent, content, stream) => request(mock.base, {
    path: '/v1/chat/completions', method: 'POST', agent,
    headers: { 'content-type': 'application/json' },
    body: chatBody('m', content, { stream }) });

test('a stream after a plain answer or an error on one connection', {
    timeout: 30000 }, async () => {
	for (const first of ['[[mock:content=first]]',
	    '[[mock:status=503]]']) {
		const agent = new http.Agent({ keepAlive: true,
		    maxSockets: 1 });
		try {
			const a = await post(agent, first, false);
			assert.ok(a.status === 200 || a.status === 503);
			const b = await post(agent, '[[mock:content=second]]',
			    true);
			assert.equal(b.reusedSocket, true);
			assert.equal(b.status, 200, `after ${first}: ${b.text}`);
			assert.match(b.headers['content-type'],
			    /^text\/event-stream/, `after ${first}`);
			const text = sseData(b.text).filter((d) => d !==
			    '[DONE]').map((d) => JSON.parse(d))
			    .map((c) => c.choices[0]?.delta?.content || '')
			    .join('');
			assert.equal(text, 'second');
			const c = await post(agent, '[[mock:content=third]]',
			    false);
			assert.equal(c.json.choices[0].message.content, 'third');
		} finally {
			agent.destroy();
		}
	}
});

test('llmux-mock exits cleanly, no sanitizer report', { timeout: 30000 },
    async () => {
	assert.deepEqual(await mock.stop(), { code: 0, signal: null });
	assert.deepEqual(sanitizerReports(mock.stderrFile), []);
});
