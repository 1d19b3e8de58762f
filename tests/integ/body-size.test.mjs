// A body over general_settings.max_request_size_mb (1 MB here) is refused
// with 413 and LiteLLM's error JSON, whether its length is announced or
// it comes chunked, without reaching the upstream; the keep-alive
// connection it came on keeps serving.  A body just under the limit
// passes.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { MASTER_KEY, assertErrorBody, chatBody, closingTest, deployment,
    settings, setup } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings()}`);

const MB = 1024 * 1024;
const big = (n) => chatBody('gpt-test', 'a'.repeat(n));

test('oversized body: 413 JSON, and the connection is reused', {
    timeout: 30000 }, async () => {
	await env.mock.clear();
	const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
	try {
		const first = await env.lx.chat(chatBody('gpt-test', 'hi'),
		    { agent });
		assert.equal(first.status, 200);
		const port = first.localPort;
		const r = await env.lx.chat(big(MB + 4096), { agent });
		assert.equal(r.status, 413, r.text.slice(0, 300));
		assert.match(r.headers['content-type'], /application\/json/);
		assertErrorBody(r.json, 413, /^Request size is too large\. /);
		assert.equal(r.reusedSocket, true);
		const after = await env.lx.chat(chatBody('gpt-test', 'again'),
		    { agent });
		assert.equal(after.status, 200, after.text);
		assert.equal(after.reusedSocket, true,
		    'the connection was closed after the 413');
		assert.equal(after.localPort, port);
	} finally {
		agent.destroy();
	}
	const seen = await env.mock.chatRequests();
	assert.equal(seen.length, 2, 'the oversized body went upstream');
});

async function chunkedUpload() {
	const r = await new Promise((resolve, reject) => {
		const req = http.request({ host: '127.0.0.1',
		    port: env.lx.port, method: 'POST', agent: false,
		    path: '/v1/chat/completions',
		    headers: { authorization: `Bearer ${MASTER_KEY}`,
		    'content-type': 'application/json',
		    'transfer-encoding': 'chunked' } }, (res) => {
			let text = '';
			res.on('data', (d) => { text += d; });
			res.on('end', () => resolve({ status: res.statusCode,
			    text }));
			res.on('error', () => resolve({
			    status: res.statusCode, text }));
		});
		// Once the answer is in, a cut upload does not matter.
		req.on('error', (e) => { if (!req.res) reject(e); });
		const body = Buffer.from(big(2 * MB));
		let off = 0;
		const pump = () => {
			while (off < body.length) {
				const ok = req.write(body.subarray(off,
				    off + 65536));
				off += 65536;
				if (!ok)
					return req.once('drain', pump);
			}
			req.end();
		};
		pump();
	});
	return r;
}

test('oversized chunked body: 413', { timeout: 30000 }, async () => {
	const r = await chunkedUpload();
	assert.equal(r.status, 413, r.text.slice(0, 300));
});

test('oversized chunked body: 413 with the error JSON', { timeout: 30000 },
    async () => {
	const r = await chunkedUpload();
	assert.equal(r.status, 413, r.text.slice(0, 300));
	let json;
	try { json = JSON.parse(r.text); } catch {}
	assertErrorBody(json, 413, /^Request size is too large\. /);
});

test('a body just under the limit passes', { timeout: 30000 },
    async () => {
	const r = await env.lx.chat(big(MB - 4096));
	assert.equal(r.status, 200, r.text.slice(0, 300));
});

closingTest(env);
