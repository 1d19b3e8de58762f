// Shared helpers of the integration tests: start llmux-mock and llmux on
// free loopback ports, talk to them, stop them, and look for sanitizer
// reports in what they wrote to stderr.
//
// Environment (set by run.sh):
//   LLMUX_BUILD       directory holding llmux and llmux-mock (default build)
//   LLMUX_INTEG_TMP   directory for configs and logs (default tests/integ/tmp)

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import OpenAI from 'openai';

export { OpenAI, sleep };

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');

export const BUILD = path.resolve(ROOT, process.env.LLMUX_BUILD || 'build');
export const TMP = path.resolve(process.env.LLMUX_INTEG_TMP ||
    path.join(HERE, 'tmp'));

export const MASTER_KEY = 'sk-integ-master-0123456789';
export const UPSTREAM_KEY = 'sk-up-secret-9876543210';

// Sanitizer reports that fail a test file.
const SAN_PATTERNS = [
	'ERROR: AddressSanitizer',
	'ERROR: LeakSanitizer',
	'runtime error:',
];

// Every child this process started, so that a crash of the test file
// never leaves one running.
const children = new Set();
process.on('exit', () => {
	for (const c of children)
		if (c.exitCode === null && c.signalCode === null)
			try { process.kill(c.pid, 'SIGKILL'); } catch {}
});

let seq = 0;

function workdir(tag) {
	const base = path.basename(process.argv[1] || 'integ')
	    .replace(/\.test\.mjs$/, '');
	const dir = path.join(TMP, `${base}-${process.pid}-${tag}-${++seq}`);
	fs.mkdirSync(dir, { recursive: true });
	return dir;
}

function childEnv() {
	const env = { ...process.env };
	// Harmless for plain builds, needed for the sanitizer ones.
	if (!/detect_leaks/.test(env.ASAN_OPTIONS || ''))
		env.ASAN_OPTIONS = 'detect_leaks=1:abort_on_error=0';
	if (!env.UBSAN_OPTIONS)
		env.UBSAN_OPTIONS = 'print_stacktrace=1';
	return env;
}

// Resolves with { code, signal } once the child has exited.
function exited(child) {
	if (child.exitCode !== null || child.signalCode !== null)
		return Promise.resolve({ code: child.exitCode,
		    signal: child.signalCode });
	return new Promise((resolve) => child.once('exit',
	    (code, signal) => resolve({ code, signal })));
}

async function withTimeout(promise, ms, what) {
	let timer;
	const t = new Promise((_, reject) => {
		timer = setTimeout(() => reject(new Error(
		    `${what}: no result after ${ms} ms`)), ms);
	});
	try {
		return await Promise.race([promise, t]);
	} finally {
		clearTimeout(timer);
	}
}

// Poll fn() until it returns a truthy value; that value is returned.
export async function waitFor(fn, { timeout = 10000, interval = 50,
    what = 'condition' } = {}) {
	const end = Date.now() + timeout;
	let last;
	for (;;) {
		try {
			const v = await fn();
			if (v)
				return v;
		} catch (e) {
			last = e;
		}
		if (Date.now() > end)
			throw new Error(`timed out waiting for ${what}` +
			    (last ? `: ${last.message}` : ''));
		await sleep(interval);
	}
}

export function sanitizerReports(file) {
	let text;
	try {
		text = fs.readFileSync(file, 'utf8');
	} catch {
		return [];
	}
	const lines = text.split('\n');
	const out = [];
	lines.forEach((l, i) => {
		if (SAN_PATTERNS.some((p) => l.includes(p)))
			out.push(lines.slice(i, i + 12).join('\n'));
	});
	return out;
}

function tail(file, n = 30) {
	try {
		return fs.readFileSync(file, 'utf8').split('\n').slice(-n)
		    .join('\n');
	} catch {
		return '';
	}
}

// A free loopback port: bind port 0, read it, close.
export function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

// Does pid hold a listening TCP socket on 127.0.0.1:port?  Guards against
// a port taken by someone else between freePort() and our bind.
function listensOn(pid, port) {
	let inodes;
	try {
		inodes = new Set(fs.readdirSync(`/proc/${pid}/fd`).map((fd) => {
			try {
				const m = /^socket:\[(\d+)\]$/.exec(
				    fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
				return m ? m[1] : null;
			} catch {
				return null;
			}
		}).filter(Boolean));
	} catch {
		return false;
	}
	const hex = port.toString(16).toUpperCase().padStart(4, '0');
	const rows = fs.readFileSync('/proc/net/tcp', 'utf8').split('\n')
	    .slice(1);
	return rows.some((r) => {
		const f = r.trim().split(/\s+/);
		return f.length > 9 && f[1] === `0100007F:${hex}` &&
		    f[3] === '0A' && inodes.has(f[9]);
	});
}

// Worker pids: the children of the master.
export function childrenOf(pid) {
	try {
		return fs.readFileSync(`/proc/${pid}/task/${pid}/children`,
		    'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
	} catch {
		return [];
	}
}

export function alive(pid) {
	try {
		const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
		// A zombie has exited already.
		return !/^\d+ \(.*\) Z /.test(st);
	} catch {
		return false;
	}
}

/* ------------------------------------------------------------------ */
/* HTTP without the SDK                                                */

// One request; resolves with status, headers, rawHeaders, text, json.
// opts: method, path, headers, body (string or Buffer), agent, timeout.
export function request(base, opts = {}) {
	const u = new URL(opts.path || '/', base);
	return new Promise((resolve, reject) => {
		const req = http.request({
			host: u.hostname,
			port: u.port,
			method: opts.method || (opts.body !== undefined ?
			    'POST' : 'GET'),
			path: u.pathname + u.search,
			headers: opts.headers || {},
			agent: opts.agent || false,
			timeout: opts.timeout || 30000,
		}, (res) => {
			const parts = [];
			const localPort = res.socket && res.socket.localPort;
			res.on('data', (d) => parts.push(d));
			res.on('error', reject);
			res.on('end', () => {
				const text = Buffer.concat(parts).toString();
				let json;
				try { json = JSON.parse(text); } catch {}
				resolve({ status: res.statusCode,
				    headers: res.headers,
				    rawHeaders: res.rawHeaders, text, json,
				    localPort, reusedSocket: req.reusedSocket });
			});
		});
		req.on('timeout', () => req.destroy(new Error(
		    `${opts.method || 'request'} ${u.pathname} timed out`)));
		req.on('error', reject);
		if (opts.body !== undefined)
			req.end(opts.body);
		else
			req.end();
	});
}

// How many times a header name occurs in a raw header list.
export function headerCount(rawHeaders, name) {
	let n = 0;
	for (let i = 0; i < rawHeaders.length; i += 2)
		if (rawHeaders[i].toLowerCase() === name.toLowerCase())
			n++;
	return n;
}

// Parse an SSE body into the data payloads, in order.
export function sseData(text) {
	return text.split(/\r?\n\r?\n/).map((ev) => ev.split(/\r?\n/)
	    .filter((l) => l.startsWith('data:'))
	    .map((l) => l.slice(5).replace(/^ /, '')).join('\n'))
	    .filter((d) => d.length > 0);
}

export function chatBody(model, content, extra = {}) {
	return JSON.stringify({ model,
	    messages: [{ role: 'user', content }], ...extra });
}

// An error body as LiteLLM shapes it, with the status as code.
export function assertErrorBody(json, status, message) {
	assert.ok(json && typeof json.error === 'object',
	    `not an error body: ${JSON.stringify(json)}`);
	const e = json.error;
	for (const k of ['message', 'type', 'param', 'code'])
		assert.ok(k in e, `error body lacks ${k}`);
	assert.equal(e.code, String(status));
	if (message instanceof RegExp)
		assert.match(e.message, message);
	else if (message !== undefined)
		assert.equal(e.message, message);
}

/* ------------------------------------------------------------------ */
/* The mock upstream                                                   */

export async function startMock(args = []) {
	const dir = workdir('mock');
	const errFile = path.join(dir, 'mock.stderr');
	const err = fs.openSync(errFile, 'a');
	const child = spawn(path.join(BUILD, 'llmux-mock'),
	    ['--host', '127.0.0.1', '--port', '0', ...args],
	    { stdio: ['ignore', 'pipe', err], env: childEnv() });
	fs.closeSync(err);
	children.add(child);
	const port = await withTimeout(new Promise((resolve, reject) => {
		let buf = '';
		child.stdout.on('data', (d) => {
			buf += d;
			const m = /PORT (\d+)/.exec(buf);
			if (m)
				resolve(Number(m[1]));
		});
		child.once('exit', (code) => reject(new Error(
		    `llmux-mock exited (${code}): ${tail(errFile)}`)));
		child.once('error', reject);
	}), 15000, 'llmux-mock start');
	child.stdout.resume();
	const base = `http://127.0.0.1:${port}`;
	const mock = {
		port, base, pid: child.pid, child, stderrFile: errFile,
		// The api_base of a deployment, with optional path directives.
		apiBase(directives) {
			return directives ?
			    `${base}/x/${encodeURIComponent(directives)}/v1` :
			    `${base}/v1`;
		},
		async requests() {
			const r = await fetch(`${base}/_mock/requests`);
			return (await r.json()).map((q) => {
				let json;
				try { json = JSON.parse(q.body); } catch {}
				return { ...q, json };
			});
		},
		async chatRequests() {
			return (await mock.requests()).filter((q) =>
			    q.path.includes('/chat/completions'));
		},
		async clear() {
			await fetch(`${base}/_mock/requests`,
			    { method: 'DELETE' });
		},
		async stats() {
			return (await fetch(`${base}/_mock/stats`)).json();
		},
		async stop() {
			if (child.exitCode === null && child.signalCode === null)
				child.kill('SIGTERM');
			const r = await withTimeout(exited(child), 10000,
			    'llmux-mock stop').catch((e) => {
				child.kill('SIGKILL');
				throw e;
			});
			children.delete(child);
			return r;
		},
	};
	return mock;
}

/* ------------------------------------------------------------------ */
/* llmux                                                               */

// The shared state (LMDB) of this test file's llmux instances: one folder
// per test process, so a reload keeps it and no two files share counters.
let stateDir = null;
export function testStateDir() {
	if (stateDir === null)
		stateDir = workdir('state');
	return stateDir;
}

// The settings every test config shares unless it gives its own.
// retries: router_settings.num_retries, 0 so that a failure is answered
// at once; null leaves the key out (the test's router text sets it).
export function settings({ general = '', litellm = '', router = '',
    llmux = '', requestTimeout = 30, drainTimeout = 5,
    strategy = 'simple-shuffle', stateDir = null, retries = 0 } = {}) {
	return `
general_settings:
  master_key: ${MASTER_KEY}
  max_request_size_mb: 1
${general}
litellm_settings:
  request_timeout: ${requestTimeout}
${litellm}
router_settings:
  routing_strategy: ${strategy}
${retries === null ? '' : `  num_retries: ${retries}`}
${router}
llmux_settings:
  header_timeout: 2
  body_timeout: 5
  drain_timeout: ${drainTimeout}
  log_level: debug
  state_dir: ${stateDir || testStateDir()}
${llmux}
`;
}

// A model_list entry for an OpenAI-compatible deployment on the mock.
export function deployment(name, model, apiBase, extra = '') {
	return `
  - model_name: "${name}"
    litellm_params:
      model: "${model}"
      api_base: "${apiBase}"
      api_key: ${UPSTREAM_KEY}
${extra}`;
}

// Start llmux on config (YAML text).  Resolves once /health/liveliness
// answers "I'm alive!" from our own process.  workers null: no
// --num_workers, so the config's num_workers (or the CPU count) applies.
export async function startLlmux(config, { workers = 2 } = {}) {
	const dir = workdir('llmux');
	const cfgFile = path.join(dir, 'config.yaml');
	const errFile = path.join(dir, 'llmux.stderr');
	fs.writeFileSync(cfgFile, config);
	let lastErr;
	for (let attempt = 0; attempt < 5; attempt++) {
		const port = await freePort();
		const err = fs.openSync(errFile, 'a');
		const child = spawn(path.join(BUILD, 'llmux'),
		    ['--config', cfgFile, '--host', '127.0.0.1',
		    '--port', String(port), ...(workers === null ? [] :
		    ['--num_workers', String(workers)])],
		    { stdio: ['ignore', 'ignore', err], env: childEnv() });
		fs.closeSync(err);
		children.add(child);
		const base = `http://127.0.0.1:${port}`;
		try {
			await waitFor(async () => {
				if (child.exitCode !== null ||
				    child.signalCode !== null)
					throw Object.assign(new Error(
					    'llmux exited'), { fatal: true });
				const r = await request(base, {
				    path: '/health/liveliness', timeout: 2000 });
				return r.status === 200 &&
				    r.text === '"I\'m alive!"' &&
				    listensOn(child.pid, port);
			}, { timeout: 20000, interval: 50,
			    what: 'llmux liveliness' });
			return makeLlmux(child, base, port, cfgFile, errFile);
		} catch (e) {
			lastErr = e;
			if (child.exitCode === null && child.signalCode === null) {
				child.kill('SIGKILL');
				await exited(child);
			}
			children.delete(child);
			// Retry only when someone took the port meanwhile.
			if (!/in use|EADDRINUSE/i.test(tail(errFile, 5)))
				break;
		}
	}
	throw new Error(`llmux did not start: ${lastErr && lastErr.message}\n` +
	    tail(errFile));
}

function makeLlmux(child, base, port, cfgFile, errFile) {
	const lx = {
		base, port, pid: child.pid, child, cfgFile,
		stderrFile: errFile,
		// The official client, pointed at llmux.
		client(opts = {}) {
			return new OpenAI({ baseURL: `${base}/v1`,
			    apiKey: MASTER_KEY, maxRetries: 0, timeout: 30000,
			    ...opts });
		},
		request(opts) {
			return request(base, opts);
		},
		// POST a chat completion with the master key; opts.headers
		// replace the default auth header when given.
		chat(body, opts = {}) {
			return request(base, {
			    path: opts.path || '/v1/chat/completions',
			    method: 'POST',
			    headers: { 'content-type': 'application/json',
			    ...(opts.headers || { authorization:
			    `Bearer ${MASTER_KEY}` }) },
			    body: typeof body === 'string' ? body :
			    JSON.stringify(body),
			    agent: opts.agent });
		},
		workers() {
			return childrenOf(child.pid);
		},
		exited() {
			return exited(child);
		},
		stderr() {
			try {
				return fs.readFileSync(errFile, 'utf8');
			} catch {
				return '';
			}
		},
		// SIGTERM and wait; resolves with { code, signal }.
		async stop(ms = 20000) {
			const kids = childrenOf(child.pid);
			if (child.exitCode === null && child.signalCode === null)
				child.kill('SIGTERM');
			try {
				return await withTimeout(exited(child), ms,
				    'llmux stop');
			} catch (e) {
				child.kill('SIGKILL');
				for (const k of kids)
					try { process.kill(k, 'SIGKILL'); }
					catch {}
				throw e;
			} finally {
				children.delete(child);
			}
		},
	};
	return lx;
}

// The usual pair for a test file: a mock upstream and llmux on a config
// built by configFn(mock).  Registers the closing test that stops both
// and fails on an unclean exit or a sanitizer report.
export async function setup(configFn, opts = {}) {
	const mock = await startMock();
	let lx;
	try {
		lx = await startLlmux(configFn(mock), opts);
	} catch (e) {
		await mock.stop().catch(() => {});
		throw e;
	}
	const env = { mock, lx, extra: [] };
	after(async () => {
		// Whatever the tests did, leave nothing running.
		for (const p of [lx, mock, ...env.extra])
			if (p.child.exitCode === null &&
			    p.child.signalCode === null)
				await p.stop().catch(() => {});
	});
	return env;
}

// Another llmux in the same file, stopped and checked with the first.
export async function startExtra(env, config, opts) {
	const lx = await startLlmux(config, opts);
	env.extra.push(lx);
	return lx;
}

// The last test of a file: llmux (and the mock) exit 0 on SIGTERM, and
// neither wrote a sanitizer report.  Processes already stopped by the
// tests are only checked for reports.
export function closingTest(env) {
	test('exits cleanly on SIGTERM, no sanitizer report',
	    { timeout: 40000 }, async () => {
		const lxs = [env.lx, ...env.extra.filter((p) => p !== env.lx)];
		for (const lx of lxs) {
			const running = lx.child.exitCode === null &&
			    lx.child.signalCode === null;
			const r = await lx.stop();
			if (running)
				assert.deepEqual(r, { code: 0, signal: null },
				    `llmux exit status; stderr:\n` +
				    tail(lx.stderrFile));
		}
		await env.mock.stop();
		const reports = [];
		for (const p of [...lxs, env.mock])
			reports.push(...sanitizerReports(p.stderrFile));
		assert.deepEqual(reports, [], 'sanitizer reports');
	});
}

// Collect an SDK stream: the chunks and the text of the deltas.
export async function collect(stream) {
	const chunks = [];
	let text = '';
	for await (const c of stream) {
		chunks.push(c);
		for (const ch of c.choices || [])
			text += (ch.delta && ch.delta.content) || '';
	}
	return { chunks, text };
}

// Expect an SDK call to reject with an API error; returns the error.
export async function apiError(promise) {
	try {
		await promise;
	} catch (e) {
		assert.ok(e instanceof OpenAI.APIError,
		    `expected an APIError, got ${e && e.stack}`);
		return e;
	}
	assert.fail('the call succeeded; expected an API error');
}
