// Issue 15: one reading of the request framing (RFC 9112 section 6.3).
// Two different Content-Length headers, a signed one, Content-Length
// next to Transfer-Encoding and a bad chunk size are answered 400 with
// the error JSON and the connection is closed, so nothing after them runs
// as a second request; a chunk extension is accepted; an oversized body
// announced with Expect: 100-continue gets a 413 JSON with
// Connection: close and the connection closes; a forged internal header
// does not turn a small body into a 413.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { MASTER_KEY, chatBody, closingTest, deployment, settings, setup }
    from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('canned', 'openai/canned-model', mock.apiBase(), `
      mock_response: "canned"`)}
${settings()}`);

// Send raw bytes, collect what comes back until llmux closes (or 5 s).
function raw(bytes) {
	return new Promise((resolve) => {
		const sock = net.connect(env.lx.port, '127.0.0.1');
		let got = '';
		const give = setTimeout(() => {
			sock.destroy();
			resolve({ got, closed: false });
		}, 5000);
		sock.on('connect', () => sock.write(bytes));
		sock.on('data', (d) => { got += d; });
		sock.on('error', () => {});
		sock.on('close', () => {
			clearTimeout(give);
			resolve({ got, closed: true });
		});
	});
}

const head = (extra) => 'POST /v1/chat/completions HTTP/1.1\r\n' +
    'Host: x\r\n' + `Authorization: Bearer ${MASTER_KEY}\r\n` +
    'Content-Type: application/json\r\n' + extra + '\r\n';
const body = chatBody('canned', 'hi');
const models = 'GET /v1/models HTTP/1.1\r\nHost: x\r\n' +
    `Authorization: Bearer ${MASTER_KEY}\r\n\r\n`;

function responses(got) {
	return got.split(/(?=HTTP\/1\.1 \d\d\d )/).filter((s) => s !== '');
}

function assert400(got, re) {
	const rs = responses(got);
	assert.equal(rs.length, 1, `one answer, got: ${got}`);
	assert.match(rs[0], /^HTTP\/1\.1 400 /);
	assert.match(rs[0], /Connection: close/i);
	assert.match(rs[0], /Content-Type: application\/json/i);
	const json = JSON.parse(rs[0].slice(rs[0].indexOf('\r\n\r\n') + 4));
	assert.equal(json.error.code, '400');
	if (re)
		assert.match(json.error.message, re);
}

test('two different Content-Length headers: 400, closed, no second ' +
    'request', { timeout: 20000 }, async () => {
	// The second request hides in the first's body for a server that
	// takes Content-Length: 2.
	const rest = '{}' + models;
	const { got, closed } = await raw(head('Content-Length: 2\r\n' +
	    `Content-Length: ${rest.length}\r\n`) + rest);
	assert.ok(closed, 'still open');
	assert400(got, /Content-Length/);
	assert.doesNotMatch(got, /"object":"list"/);
});

test('a signed Content-Length: 400', { timeout: 20000 }, async () => {
	const { got, closed } = await raw(head(
	    `Content-Length: +${body.length}\r\n`) + body);
	assert.ok(closed);
	assert400(got, /Content-Length/);
});

test('Content-Length with Transfer-Encoding: 400', { timeout: 20000 },
    async () => {
	const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
	const { got, closed } = await raw(head(
	    `Content-Length: ${chunked.length}\r\n` +
	    'Transfer-Encoding: chunked\r\n') + chunked);
	assert.ok(closed);
	assert400(got);
});

test('a bad chunk size: 400 JSON, not an HTML page', { timeout: 20000 },
    async () => {
	const { got, closed } = await raw(head(
	    'Transfer-Encoding: chunked\r\n') + 'zz\r\n' + body + '\r\n' +
	    '0\r\n\r\n' + models);
	assert.ok(closed);
	assert400(got, /chunked/);
	assert.doesNotMatch(got, /<HTML>/i);
});

test('a chunk extension is accepted', { timeout: 20000 }, async () => {
	const { got } = await raw(head('Transfer-Encoding: chunked\r\n') +
	    `${body.length.toString(16)};name=value\r\n${body}\r\n` +
	    '0\r\n\r\n' + models.replace('\r\n\r\n',
	    '\r\nConnection: close\r\n\r\n'));
	const rs = responses(got);
	assert.equal(rs.length, 2, got);
	assert.match(rs[0], /^HTTP\/1\.1 200 /);
	assert.match(rs[0], /"content":"canned"/);
	assert.match(rs[1], /^HTTP\/1\.1 200 /);
});

test('a chunked body with extensions, sent a few bytes at a time, is ' +
    'served', { timeout: 20000 }, async () => {
	const half = Math.floor(body.length / 2);
	const msg = head('Transfer-Encoding: chunked\r\n') +
	    `${half.toString(16)};a=b\r\n${body.slice(0, half)}\r\n` +
	    `${(body.length - half).toString(16)}\t;c\r\n` +
	    `${body.slice(half)}\r\n0\r\nX-Trailer: 1\r\n\r\n`;
	const got = await new Promise((resolve) => {
		const sock = net.connect(env.lx.port, '127.0.0.1');
		let text = '';
		let i = 0;
		sock.on('connect', () => {
			const t = setInterval(() => {
				if (i >= msg.length)
					return clearInterval(t);
				sock.write(msg.slice(i, i + 3));
				i += 3;
			}, 2);
		});
		sock.on('data', (d) => {
			text += d;
			if (/"content":"canned"/.test(text))
				sock.destroy();
		});
		sock.on('error', () => {});
		sock.on('close', () => resolve(text));
	});
	assert.match(got, /^HTTP\/1\.1 200 /, got);
});

test('Expect: 100-continue with a body over the limit: 413 JSON, ' +
    'Connection: close, closed', { timeout: 20000 }, async () => {
	// The client waits for 100 Continue, gets the 413 and goes on with
	// its next request on the same connection: it must not be
	// swallowed as body bytes.
	const { got, closed } = await raw(head('Expect: 100-continue\r\n' +
	    `Content-Length: ${20 * 1024 * 1024}\r\n`));
	assert.ok(closed, `still open: ${got}`);
	const rs = responses(got);
	assert.equal(rs.length, 1, got);
	assert.match(rs[0], /^HTTP\/1\.1 413 /);
	assert.match(rs[0], /Connection: close/i);
	assert.match(rs[0], /Request size is too large/);
});

test('a forged oversize header does not make a 413', { timeout: 20000 },
    async () => {
	const r = await env.lx.chat(body, { headers: {
	    authorization: `Bearer ${MASTER_KEY}`,
	    'content-type': 'application/json',
	    'x-llmux-oversz': '123456789' } });
	assert.equal(r.status, 200, r.text);
});

closingTest(env);
