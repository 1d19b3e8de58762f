// A client that reads a stream slower than the upstream sends it pushes
// back on the upstream: llmux stops taking bytes while too much waits for
// the client, so its memory stays bounded, and the stream still arrives
// whole once the client reads again.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { test } from 'node:test';
import { MASTER_KEY, chatBody, closingTest, deployment, settings, setup,
    sleep } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings()}`, { workers: 1 });

// About 18 MB of events, sent by the mock as fast as it can.  Without
// the push-back the worker buffers most of it (about 100 MB of RSS
// measured); with it, a few MB.
const CHUNKS = 100000;
const BIG = `x [[mock:chunks=${CHUNKS}]]`;

function rssKb(pid) {
	const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
	return Number(/VmRSS:\s+(\d+)/.exec(s)[1]);
}

test('a paused reader holds the upstream back; nothing is lost', {
    timeout: 120000 }, async () => {
	const [worker] = env.lx.workers();
	const body = chatBody('gpt-test', BIG, { stream: true });
	const sock = net.connect(env.lx.port, '127.0.0.1');
	await new Promise((resolve, reject) => {
		sock.once('connect', resolve);
		sock.once('error', reject);
	});
	sock.pause();
	sock.write('POST /v1/chat/completions HTTP/1.1\r\n' +
	    'Host: 127.0.0.1\r\n' +
	    `Authorization: Bearer ${MASTER_KEY}\r\n` +
	    'Content-Type: application/json\r\n' +
	    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n` + body);
	// The client reads nothing for 3 s; the worker must not buffer
	// what it cannot deliver.
	await sleep(3000);
	assert.ok(rssKb(worker) < 48 * 1024,
	    `worker RSS ${rssKb(worker)} kB while its client is paused`);
	// Now read it all.
	let text = '';
	sock.setEncoding('utf8');
	sock.on('data', (d) => { text += d; });
	sock.resume();
	await new Promise((resolve) => {
		const check = () => {
			if (text.includes('data: [DONE]'))
				return resolve();
			setTimeout(check, 50);
		};
		check();
	});
	sock.destroy();
	const n = (text.match(/"content":"tok\d+ "/g) || []).length;
	assert.equal(n, CHUNKS, 'every chunk reached the client');
});

closingTest(env);
