// Issue 15: a reload loses no request.  Keep-alive clients keep sending
// while the master is sent SIGHUP again and again; the draining workers
// finish what they accepted, answer the next request on each kept-alive
// connection with Connection: close and exit only then, so every request
// gets its 200.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { MASTER_KEY, chatBody, closingTest, deployment, settings, setup,
    sleep } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('canned', 'openai/canned-model', mock.apiBase(), `
      mock_response: "canned"`)}
${settings()}`);

test('20 reloads under keep-alive load: no failed request', {
    timeout: 60000 }, async () => {
	const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
	const body = chatBody('canned', 'hi');
	let stop = false;
	let ok = 0;
	let closes = 0;
	const failed = [];
	async function client() {
		while (!stop) {
			try {
				const r = await env.lx.chat(body, { agent });
				if (r.status === 200)
					ok++;
				else
					failed.push(`${r.status} ${r.text}`);
				if (/close/.test(r.headers.connection || ''))
					closes++;
			} catch (e) {
				failed.push(e.message);
			}
		}
	}
	const clients = Array.from({ length: 16 }, client);
	await sleep(300);
	for (let i = 0; i < 20; i++) {
		process.kill(env.lx.pid, 'SIGHUP');
		await sleep(250);
	}
	await sleep(1000);
	stop = true;
	await Promise.all(clients);
	agent.destroy();
	assert.deepEqual(failed.slice(0, 5), [], `${failed.length} failed ` +
	    `of ${ok + failed.length}`);
	assert.ok(ok > 200, `only ${ok} requests`);
	assert.ok(closes > 0, 'no answer said Connection: close');
	assert.doesNotMatch(env.lx.stderr(), /reload refused/);
});

closingTest(env);
