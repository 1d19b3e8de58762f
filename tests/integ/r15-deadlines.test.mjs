// Issue 15: header_timeout (2 s here) and body_timeout (5 s) hold for
// every request on a connection.  After one complete chunked request,
// a header dribbled a byte at a time and a chunked body sent as one
// chunk at a time are still cut at their deadline; a request with
// bare-LF line endings clears the header deadline like a CRLF one, so
// its stream is not cut at header_timeout.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { MASTER_KEY, chatBody, closingTest, deployment, settings, setup }
    from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings()}`);

const body = chatBody('gpt-test', 'hi');
const chunkedReq = 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n' +
    `Authorization: Bearer ${MASTER_KEY}\r\n` +
    'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n' +
    `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;

// One chunked request, wait for its answer, then write first and a
// piece of drip every 500 ms.  Resolves with the ms from the first
// drip to the close, and what came back after the first answer.
function afterChunked(first, drip) {
	return new Promise((resolve, reject) => {
		const sock = net.connect(env.lx.port, '127.0.0.1');
		let got = '';
		let t0 = 0;
		let timer;
		let i = 0;
		const give = setTimeout(() => {
			sock.destroy();
			reject(new Error('still open after 20 s'));
		}, 20000);
		sock.on('connect', () => sock.write(chunkedReq));
		sock.on('data', (d) => {
			got += d;
			if (t0 === 0 && /\r\n\r\n\{.*\}$/s.test(got)) {
				assert.match(got, /^HTTP\/1\.1 200 /);
				got = '';
				t0 = Date.now();
				sock.write(first);
				timer = setInterval(() => {
					if (!sock.destroyed)
						sock.write(drip[i++ %
						    drip.length]);
				}, 500);
			}
		});
		sock.on('error', () => {});
		sock.on('close', () => {
			clearInterval(timer);
			clearTimeout(give);
			if (t0 === 0)
				reject(new Error('closed before the answer'));
			resolve({ ms: Date.now() - t0, got });
		});
	});
}

test('after a chunked request, a dribbled header is cut at ' +
    'header_timeout', { timeout: 30000 }, async () => {
	const { ms, got } = await afterChunked(
	    'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Slow: ',
	    'abcdefgh');
	assert.ok(ms >= 1500, `closed after ${ms} ms: ${got}`);
	assert.ok(ms < 6000, `closed after ${ms} ms`);
	assert.doesNotMatch(got, /^HTTP\/1\.1 200/);
});

test('after a chunked request, a chunked body sent a chunk at a time ' +
    'is cut at body_timeout', { timeout: 30000 }, async () => {
	const { ms, got } = await afterChunked(
	    'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n' +
	    `Authorization: Bearer ${MASTER_KEY}\r\n` +
	    'Transfer-Encoding: chunked\r\n\r\n', ['1\r\n \r\n']);
	assert.ok(ms >= 4000, `closed after ${ms} ms: ${got}`);
	assert.ok(ms < 10000, `closed after ${ms} ms`);
	assert.doesNotMatch(got, /^HTTP\/1\.1 200/);
});

test('bare LF line endings: a stream longer than header_timeout is ' +
    'not cut', { timeout: 30000 }, async () => {
	const b = chatBody('gpt-test', 'x [[mock:chunks=6,chunk_delay_ms=' +
	    '600,content=a b c d e f]]', { stream: true });
	const got = await new Promise((resolve) => {
		const sock = net.connect(env.lx.port, '127.0.0.1');
		let text = '';
		sock.on('connect', () => sock.write(
		    'POST /v1/chat/completions HTTP/1.1\nHost: x\n' +
		    `Authorization: Bearer ${MASTER_KEY}\n` +
		    'Content-Type: application/json\n' +
		    `Content-Length: ${b.length}\nConnection: close\n\n` + b));
		sock.on('data', (d) => { text += d; });
		sock.on('error', () => {});
		sock.on('close', () => resolve(text));
	});
	assert.match(got, /^HTTP\/1\.1 200 /);
	assert.match(got, /data: \[DONE\]/, got.slice(-300));
});

closingTest(env);
