// Issue 15: a connection the client closed gives its descriptor back at
// once, not when the request's deadline (body_timeout, 5 s here) fires;
// and a worker out of descriptors stops accepting for a moment and says
// so once, instead of retrying accept() in a busy loop that logs on
// every attempt.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { test } from 'node:test';
import { MASTER_KEY, chatBody, closingTest, deployment, settings, setup,
    sleep, waitFor } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('canned', 'openai/canned-model', mock.apiBase(), `
      mock_response: "canned"`)}
${settings()}`, { workers: 1 });

const fds = (pid) => fs.readdirSync(`/proc/${pid}/fd`).length;

// Open a connection, send the headers and part of a body, then close.
function abandon() {
	return new Promise((resolve) => {
		const sock = net.connect(env.lx.port, '127.0.0.1');
		sock.on('connect', () => {
			sock.write('POST /v1/chat/completions HTTP/1.1\r\n' +
			    'Host: x\r\nContent-Type: application/json\r\n' +
			    'Content-Length: 1000\r\n\r\n{"model":');
			setTimeout(() => sock.destroy(), 100);
		});
		sock.on('error', () => {});
		sock.on('close', resolve);
	});
}

test('abandoned connections give their descriptors back at once', {
    timeout: 30000 }, async () => {
	const [worker] = env.lx.workers();
	const base = fds(worker);
	const all = [];
	for (let i = 0; i < 300; i++)
		all.push(abandon());
	await Promise.all(all);
	// Well before body_timeout (5 s).
	await waitFor(() => fds(worker) < base + 10, { timeout: 1500,
	    interval: 50, what: `descriptors back near ${base} ` +
	    `(now ${fds(worker)})` });
	const r = await env.lx.chat(chatBody('canned', 'hi'));
	assert.equal(r.status, 200);
});

test('out of descriptors: accepting pauses, one message', {
    timeout: 30000 }, async () => {
	const [worker] = env.lx.workers();
	const lim = fds(worker) + 16;
	const soft = fs.readFileSync(`/proc/${worker}/limits`, 'utf8')
	    .match(/^Max open files\s+(\d+)/m)[1];
	execFileSync('prlimit', ['--pid', String(worker),
	    `--nofile=${lim}:`]);
	const before = env.lx.stderr().length;
	const socks = [];
	for (let i = 0; i < 40; i++) {
		const s = net.connect(env.lx.port, '127.0.0.1');
		s.on('error', () => {});
		socks.push(s);
	}
	await sleep(1500);
	const log = env.lx.stderr().slice(before);
	const lines = log.split('\n').filter((l) => /accept/i.test(l));
	assert.ok(lines.length >= 1, 'no word about accept()');
	assert.ok(lines.length <= 3, `${lines.length} lines: ` +
	    lines.slice(0, 3).join('\n'));
	for (const s of socks)
		s.destroy();
	execFileSync('prlimit', ['--pid', String(worker),
	    `--nofile=${soft}:`]);
	await waitFor(async () => (await env.lx.chat(chatBody('canned',
	    'hi'))).status === 200, { timeout: 5000, what: 'served again' });
});

closingTest(env);
