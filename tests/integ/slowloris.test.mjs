// A client that trickles its request is cut off by the absolute deadlines
// (llmux_settings.header_timeout 2 s, body_timeout 5 s) although it never
// goes idle for long, and normal clients are served meanwhile.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { MASTER_KEY, chatBody, closingTest, deployment, settings, setup,
    sleep } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings()}`);

// Open a connection, send head, then one byte of drip every 500 ms.
// Resolves with the ms from connect to close and what llmux sent.
function trickle(head, drip) {
	return new Promise((resolve, reject) => {
		const sock = net.connect(env.lx.port, '127.0.0.1');
		let t0;
		let timer;
		let got = '';
		let i = 0;
		const give = setTimeout(() => {
			sock.destroy();
			reject(new Error('still open after 20 s'));
		}, 20000);
		sock.on('connect', () => {
			t0 = Date.now();
			sock.write(head);
			timer = setInterval(() => {
				if (!sock.destroyed)
					sock.write(drip[i++ % drip.length]);
			}, 500);
		});
		sock.on('data', (d) => { got += d; });
		sock.on('error', () => {});
		sock.on('close', () => {
			clearInterval(timer);
			clearTimeout(give);
			resolve({ ms: Date.now() - t0, got });
		});
	});
}

test('header trickle is cut off after header_timeout', {
    timeout: 30000 }, async () => {
	const lorises = [1, 2, 3].map(() => trickle(
	    'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Slow: ',
	    'abcdefgh'));
	// Meanwhile a normal client is served, more than once.
	await sleep(300);
	for (let i = 0; i < 3; i++) {
		const r = await env.lx.chat({ model: 'gpt-test',
		    messages: [{ role: 'user', content: 'hi' }] });
		assert.equal(r.status, 200);
	}
	for (const { ms, got } of await Promise.all(lorises)) {
		// Not before the deadline (a loaded machine only makes it
		// later), and not much after it.
		assert.ok(ms >= 1500, `closed after ${ms} ms: ${got}`);
		assert.ok(ms < 8000, `closed after ${ms} ms`);
		assert.doesNotMatch(got, /^HTTP\/1\.1 200/);
	}
});

test('body trickle is cut off after body_timeout', { timeout: 30000 },
    async () => {
	const body = chatBody('gpt-test', 'hi');
	await env.mock.clear();
	const { ms, got } = await trickle('POST /v1/chat/completions ' +
	    'HTTP/1.1\r\nHost: x\r\n' +
	    `Authorization: Bearer ${MASTER_KEY}\r\n` +
	    'Content-Type: application/json\r\n' +
	    `Content-Length: ${body.length + 1000}\r\n\r\n` + body,
	    '          ');
	assert.ok(ms >= 4000, `closed after ${ms} ms: ${got}`);
	assert.ok(ms < 12000, `closed after ${ms} ms`);
	assert.doesNotMatch(got, /^HTTP\/1\.1 200/);
	assert.deepEqual(await env.mock.chatRequests(), []);
});

test('an oversized header block is refused', { timeout: 30000 },
    async () => {
	const r = await env.lx.request({ path: '/v1/models', headers: {
	    authorization: `Bearer ${MASTER_KEY}`,
	    'x-big': 'b'.repeat(40000) } }).catch((e) => ({ error: e }));
	if (!r.error)
		assert.ok([400, 431].includes(r.status), `${r.status}`);
	const ok = await env.lx.request({ path: '/v1/models', headers: {
	    authorization: `Bearer ${MASTER_KEY}`,
	    'x-big': 'b'.repeat(10000) } });
	assert.equal(ok.status, 200);
});

test('an idle-between-bytes client well within the deadline is served', {
    timeout: 30000 }, async () => {
	// Headers in three pieces 300 ms apart: under header_timeout.
	const body = chatBody('gpt-test', 'hi');
	const sock = net.connect(env.lx.port, '127.0.0.1');
	const got = await new Promise((resolve, reject) => {
		let buf = '';
		sock.on('data', (d) => {
			buf += d;
			if (/\r\n\r\n[\s\S]*"choices"[\s\S]*\}\s*$/.test(buf))
				resolve(buf);
		});
		sock.on('error', reject);
		sock.on('close', () => resolve(buf));
		sock.on('connect', async () => {
			sock.write('POST /v1/chat/completions HTTP/1.1\r\n');
			await sleep(300);
			sock.write(`Host: x\r\nAuthorization: Bearer ` +
			    `${MASTER_KEY}\r\n`);
			await sleep(300);
			sock.write('Content-Type: application/json\r\n' +
			    `Content-Length: ${body.length}\r\n\r\n` + body);
		});
	});
	sock.destroy();
	assert.match(got, /^HTTP\/1\.1 200/);
});

closingTest(env);
