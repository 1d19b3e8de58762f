// While an upstream is down, llmux logs its failures per deployment and
// per second, not one warning per failed call (issue 15, point 11: 95,000
// lines in 5 s).  The first failure of a second is logged whole, the rest
// as one "N more" line when the second is over; every failed call is
// still answered and counted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closingTest, deployment, freePort, settings, setup, sleep }
    from './lib.mjs';

const dead = await freePort();
const env = await setup(() => `
model_list:
${deployment('dead', 'openai/x', `http://127.0.0.1:${dead}/v1`)}
${settings({ llmux: '  log_level: info' })}`, { workers: 1 });

const N = 60;

const warnLines = () => env.lx.stderr().split('\n').filter((l) =>
    / warn: /.test(l) && /APIConnectionError|upstream failures/.test(l));

test('a burst of failures makes a few lines, and they add up',
    { timeout: 30000 }, async () => {
	const t0 = Date.now();
	const rs = await Promise.all(Array.from({ length: N }, () =>
	    env.lx.chat({ model: 'dead',
	    messages: [{ role: 'user', content: 'hi' }] })));
	const took = Date.now() - t0;
	for (const r of rs)
		assert.equal(r.status, 500, r.text);
	await sleep(1600);	/* the last window closes */
	const lines = warnLines();
	// One whole line and one summary per second the burst spanned.
	const seconds = Math.ceil(took / 1000) + 1;
	assert.ok(lines.length <= 2 * seconds,
	    `${lines.length} warnings for ${N} failures:\n` +
	    lines.slice(0, 5).join('\n'));
	const whole = lines.filter((l) => /APIConnectionError/.test(l)).length;
	const MORE = /: (\d+) more upstream failures in the last second/;
	const more = lines.map((l) => MORE.exec(l)).filter(Boolean)
	    .reduce((a, m) => a + Number(m[1]), 0);
	assert.equal(whole + more, N, lines.join('\n'));
});

closingTest(env);
