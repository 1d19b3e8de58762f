// A slow upstream stream is relayed chunk by chunk: the client holds the
// first chunk while the upstream is still sending (its stream is not yet
// complete in the mock's counters, and the last chunk is stamped after
// the client saw the first).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closingTest, deployment, settings, setup } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings()}`);

test('first chunk reaches the client before the upstream finished',
    { timeout: 30000 }, async () => {
	const { lx, mock } = env;
	const before = await mock.stats();
	const stream = await lx.client().chat.completions.create({
		model: 'gpt-test', stream: true,
		messages: [{ role: 'user', content:
		    'x [[mock:chunks=5,chunk_delay_ms=400,stamp=1]]' }],
	});
	let firstAt = null;
	let firstStats = null;
	const stamps = [];
	let lastAt = null;
	for await (const c of stream) {
		const now = Date.now();
		if (c.choices.length && c.choices[0].delta.content &&
		    firstAt === null) {
			firstAt = now;
			firstStats = await mock.stats();
		}
		if (c.mock_ts_ns !== undefined)
			stamps.push(Number(BigInt(c.mock_ts_ns) / 1000000n));
		lastAt = now;
	}
	assert.ok(firstAt !== null, 'no content chunk');
	// While the client held the first chunk, the upstream stream was
	// still open.
	assert.equal(firstStats.streams_completed, before.streams_completed,
	    'upstream stream already complete when the first chunk came');
	assert.equal(firstStats.streams_started, before.streams_started + 1);
	// The upstream sent its last chunk after the client had the first.
	assert.ok(stamps.length >= 5, `stamps passed through: ${stamps}`);
	assert.ok(stamps[stamps.length - 1] > firstAt,
	    `last upstream chunk sent at ${stamps[stamps.length - 1]}, ` +
	    `first received at ${firstAt}`);
	// Chunks 400 ms apart at the source arrive spread out, not at once.
	assert.ok(lastAt - firstAt >= 800, `${lastAt - firstAt} ms`);
	const after = await mock.stats();
	assert.equal(after.streams_completed, before.streams_completed + 1);
});

closingTest(env);
