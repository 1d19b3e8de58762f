// A client that goes away in the middle of a stream ends the upstream
// transfer: the mock sees its stream aborted long before it would have
// finished, whether the client aborts cleanly or drops the socket.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { MASTER_KEY, chatBody, closingTest, deployment, settings, setup,
    waitFor } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings()}`);

// 100 chunks 200 ms apart: 20 s if nobody stops it.
const LONG = 'x [[mock:chunks=100,chunk_delay_ms=200]]';

async function abortedAfter(before) {
	return waitFor(async () => {
		const s = await env.mock.stats();
		return s.streams_aborted > before.streams_aborted && s;
	}, { timeout: 8000, what: 'the upstream stream to be aborted' });
}

test('aborting the openai client stream aborts the upstream', {
    timeout: 30000 }, async () => {
	const before = await env.mock.stats();
	const stream = await env.lx.client().chat.completions.create({
	    model: 'gpt-test', stream: true,
	    messages: [{ role: 'user', content: LONG }] });
	let got = 0;
	for await (const c of stream) {
		if (c.choices.length && c.choices[0].delta.content)
			got++;
		if (got === 1) {
			stream.controller.abort();
			break;
		}
	}
	assert.equal(got, 1);
	const s = await abortedAfter(before);
	assert.equal(s.streams_completed, before.streams_completed,
	    'the upstream stream ran to its end');
});

test('dropping the socket aborts the upstream', { timeout: 30000 },
    async () => {
	const before = await env.mock.stats();
	const body = chatBody('gpt-test', LONG, { stream: true });
	const sock = net.connect(env.lx.port, '127.0.0.1');
	await new Promise((resolve, reject) => {
		sock.once('connect', resolve);
		sock.once('error', reject);
	});
	sock.write('POST /v1/chat/completions HTTP/1.1\r\n' +
	    'Host: 127.0.0.1\r\n' +
	    `Authorization: Bearer ${MASTER_KEY}\r\n` +
	    'Content-Type: application/json\r\n' +
	    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n` + body);
	await new Promise((resolve, reject) => {
		let buf = '';
		sock.on('data', (d) => {
			buf += d;
			if (/data: \{.*"content":"tok/.test(buf))
				resolve();
		});
		sock.once('error', reject);
		sock.once('close', () => reject(new Error(
		    `closed before the first chunk: ${buf}`)));
	});
	sock.destroy();
	const s = await abortedAfter(before);
	assert.equal(s.streams_completed, before.streams_completed);
	assert.equal(s.in_flight, 0, 'a transfer is still open upstream');
});

test('llmux still serves after the aborts', { timeout: 30000 },
    async () => {
	const r = await env.lx.chat({ model: 'gpt-test',
	    messages: [{ role: 'user', content: 'hi' }] });
	assert.equal(r.status, 200);
});

closingTest(env);
