// Issue 15, point 7: a client must not be able to write lines of its own
// into the text log.  A model name or a decoded path holding CR/LF (or
// other control bytes) is logged escaped, on the one line of its event.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closingTest, deployment, request, settings, setup, waitFor,
    MASTER_KEY } from './lib.mjs';

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings({ llmux: '  log_format: text' })}`);

const FORGED = '2026-01-01T00:00:00.000Z llmux[1] master error: FORGED';
// Every line llmux writes starts with its timestamp and process name.
const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z llmux\[\d+\] /;

// The lines of stderr that do not look like one of llmux's own lines,
// splitting on CR too: a terminal or a log viewer breaks lines there.
function foreignLines(text) {
	return text.split(/\r\n|\r|\n/).filter((l) => l !== '' &&
	    !LINE.test(l));
}

test('a model name with CR/LF stays on its log line', { timeout: 30000 },
    async () => {
	const r = await env.lx.chat({ model: `x\n${FORGED}\r\nX\x1b[2J`,
	    messages: [{ role: 'user', content: 'hi' }] });
	assert.equal(r.status, 400, r.text);
	const err = await waitFor(() => {
		const s = env.lx.stderr();
		return s.includes('model=x\\n') ? s : null;
	}, { what: 'the log line of the unknown model' });
	assert.ok(err.includes(`model=x\\n${FORGED}\\r\\nX\\x1b[2J`), err);
	assert.deepEqual(foreignLines(err), []);
	assert.ok(!err.includes('\x1b'), 'raw ESC in the log');
});

test('a path with %0d%0a stays on its log line', { timeout: 30000 },
    async () => {
	const r = await request(env.lx.base, {
	    path: '/v1/models/a%0d%0a' + encodeURIComponent(FORGED) +
	    '%0aB%7f',
	    headers: { authorization: `Bearer ${MASTER_KEY}` } });
	assert.equal(r.status, 404, r.text);
	const err = await waitFor(() => {
		const s = env.lx.stderr();
		return s.includes('`a\\r\\n') ? s : null;
	}, { what: 'the log line of the unknown model id' });
	assert.ok(err.includes(`\`a\\r\\n${FORGED}\\nB\\x7f\``), err);
	assert.deepEqual(foreignLines(err), []);
});

closingTest(env);
