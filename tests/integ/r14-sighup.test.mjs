// Issue 14: SIGHUP reloads.  A good config takes effect (its new model
// is listed), a bad one is refused with file:line and the running
// generation keeps serving, a stream in flight finishes across the
// reload, and num_workers follows the new config unless --num_workers
// was given.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { closingTest, collect, deployment, MASTER_KEY, settings, setup,
    startExtra, waitFor } from './lib.mjs';

const config = (mock, names, llmux = '') => `
model_list:
${names.map((n) => deployment(n, 'openai/up-model', mock.apiBase())).join('')}
${settings({ llmux })}`;

const env = await setup((mock) => config(mock, ['gpt-a']));

async function models(lx) {
	const r = await lx.request({ path: '/v1/models',
	    headers: { authorization: `Bearer ${MASTER_KEY}` } });
	return r.json.data.map((d) => d.id).sort();
}

function hupCount(lx) {
	return lx.stderr().split('SIGHUP: reloading').length - 1;
}

test('a good config takes effect: its new model is listed',
    { timeout: 30000 }, async () => {
	const { lx, mock } = env;
	assert.deepEqual(await models(lx), ['gpt-a']);
	const old = lx.workers();
	fs.writeFileSync(lx.cfgFile, config(mock, ['gpt-a', 'gpt-b']));
	process.kill(lx.pid, 'SIGHUP');
	await waitFor(async () => (await models(lx)).length === 2,
	    { what: 'gpt-b listed' });
	assert.deepEqual(await models(lx), ['gpt-a', 'gpt-b']);
	const r = await lx.client().chat.completions.create({
	    model: 'gpt-b', messages: [{ role: 'user', content: 'x' }] });
	assert.equal(r.model, 'gpt-b');
	// New workers, and the old ones gone.
	await waitFor(() => lx.workers().length === 2 &&
	    lx.workers().every((p) => !old.includes(p)),
	    { what: 'the old workers to go' });
});

test('a bad config is refused with file:line; the old one serves',
    { timeout: 30000 }, async () => {
	const { lx, mock } = env;
	const workers = lx.workers().sort();
	const n = hupCount(lx);
	fs.writeFileSync(lx.cfgFile, config(mock, ['gpt-a', 'gpt-c'],
	    '  num_workers: many'));
	process.kill(lx.pid, 'SIGHUP');
	await waitFor(() => /reload failed: keeping the running/.test(
	    lx.stderr()), { what: 'the refusal' });
	assert.equal(hupCount(lx), n + 1);
	const line = fs.readFileSync(lx.cfgFile, 'utf8').split('\n')
	    .findIndex((l) => l.includes('num_workers')) + 1;
	assert.ok(lx.stderr().includes(`${lx.cfgFile}:${line}:`),
	    `no ${lx.cfgFile}:${line}: in the log`);
	assert.deepEqual(await models(lx), ['gpt-a', 'gpt-b']);
	const r = await lx.client().chat.completions.create({
	    model: 'gpt-b', messages: [{ role: 'user', content: 'x' }] });
	assert.equal(r.model, 'gpt-b');
	assert.deepEqual(lx.workers().sort(), workers);
});

test('a stream in flight finishes across the reload', { timeout: 30000 },
    async () => {
	const { lx, mock } = env;
	const s = await lx.client().chat.completions.create({
	    model: 'gpt-a', stream: true, messages: [{ role: 'user',
	    content: 'x [[mock:chunks=10,chunk_delay_ms=200,' +
	    'content=one two three four five six seven eight nine ten]]' }]
	});
	const done = collect(s);
	const before = lx.stderr().split(' ready; draining').length;
	fs.writeFileSync(lx.cfgFile, config(mock, ['gpt-a', 'gpt-d']));
	process.kill(lx.pid, 'SIGHUP');
	await waitFor(() => lx.stderr().split(' ready; draining').length >
	    before, { what: 'the new generation' });
	const { text, chunks } = await done;
	assert.equal(text, 'one two three four five six seven eight nine ten');
	assert.equal(chunks[chunks.length - 1].choices[0].finish_reason,
	    'stop');
	assert.deepEqual(await models(lx), ['gpt-a', 'gpt-d']);
});

test('num_workers from the new config applies; --num_workers wins',
    { timeout: 40000 }, async () => {
	const { mock } = env;
	const lx = await startExtra(env, config(mock, ['gpt-a'],
	    '  num_workers: 1'), { workers: null });
	assert.equal(lx.workers().length, 1);
	fs.writeFileSync(lx.cfgFile, config(mock, ['gpt-a'],
	    '  num_workers: 3'));
	process.kill(lx.pid, 'SIGHUP');
	await waitFor(() => lx.stderr().includes('generation 2 ready'),
	    { what: 'generation 2' });
	await waitFor(() => lx.workers().length === 3,
	    { what: 'three workers' });

	const pinned = await startExtra(env, config(mock, ['gpt-a'],
	    '  num_workers: 1'), { workers: 2 });
	fs.writeFileSync(pinned.cfgFile, config(mock, ['gpt-a'],
	    '  num_workers: 3'));
	process.kill(pinned.pid, 'SIGHUP');
	await waitFor(() => pinned.stderr().includes('generation 2 ready'),
	    { what: 'generation 2' });
	await waitFor(() => pinned.workers().length === 2,
	    { what: 'two workers' });
});

test('a key read once at start keeps its value, with a warning',
    { timeout: 30000 }, async () => {
	const { lx, mock } = env;
	fs.writeFileSync(lx.cfgFile, config(mock, ['gpt-a', 'gpt-e'],
	    '  log_format: json'));
	process.kill(lx.pid, 'SIGHUP');
	await waitFor(async () => (await models(lx)).includes('gpt-e'),
	    { what: 'gpt-e listed' });
	assert.match(lx.stderr(), /log_format: cannot change on reload; keeps/);
	// The running format stays text: no JSON log line appears.
	assert.ok(!lx.stderr().split('\n').some((l) => l.startsWith('{')),
	    'a JSON log line after the reload');
});

closingTest(env);
