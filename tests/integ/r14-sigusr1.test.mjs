// Issue 14: SIGUSR1 reopens the log file (llmux_settings.log_file) in the
// master and the workers, as logrotate expects, and kills nobody; it used
// to kill the master.  SIGUSR2 is reserved and only logged.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { alive, closingTest, deployment, MASTER_KEY, sanitizerReports,
    settings, setup, startExtra, TMP, waitFor } from './lib.mjs';

const dir = fs.mkdtempSync(path.join(TMP, 'r14-sigusr1-'));
const logFile = path.join(dir, 'llmux.log');

const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings()}`);

const read = (f) => {
	try {
		return fs.readFileSync(f, 'utf8');
	} catch {
		return '';
	}
};

test('SIGUSR1: the log file is reopened by every process',
    { timeout: 30000 }, async () => {
	const lx = await startExtra(env, `
model_list:
${deployment('gpt-test', 'openai/up-model', env.mock.apiBase())}
${settings({ llmux: `  log_file: ${logFile}` })}`);
	await waitFor(() => read(logFile).includes('listening on'),
	    { what: 'lines in the log file' });
	const workers = lx.workers();
	assert.equal(workers.length, 2);
	const master = lx.pid;
	fs.renameSync(logFile, `${logFile}.1`);
	process.kill(master, 'SIGUSR1');
	// A new file, with the master's line and one from each worker.
	await waitFor(() => {
		const t = read(logFile);
		return t.includes(`llmux[${master}] master info: SIGUSR1`) &&
		    workers.every((w) => t.includes(
		    `llmux[${w}] worker debug: SIGUSR1: log file reopened`));
	}, { what: 'the reopened log file' });
	assert.ok(alive(master), 'the master died');
	assert.deepEqual(lx.workers().sort(), workers.sort(),
	    'a worker was replaced');
	const r = await lx.chat({ model: 'gpt-test',
	    messages: [{ role: 'user', content: 'x' }] });
	assert.equal(r.status, 200);
	// What follows the reopen lands in the new file only.
	process.kill(master, 'SIGUSR2');
	await waitFor(() => read(logFile).includes('SIGUSR2'),
	    { what: 'the SIGUSR2 line' });
	assert.ok(!read(`${logFile}.1`).includes('SIGUSR'),
	    'the rotated file got new lines');
	assert.ok(alive(master), 'SIGUSR2 killed the master');
	const st = await lx.stop();
	assert.deepEqual(st, { code: 0, signal: null });
	assert.match(read(logFile), /master info: exiting/);
	assert.deepEqual([...sanitizerReports(logFile),
	    ...sanitizerReports(`${logFile}.1`)], []);
});

test('SIGUSR1 without a log_file: the master survives', { timeout: 30000 },
    async () => {
	const { lx } = env;
	const workers = lx.workers();
	process.kill(lx.pid, 'SIGUSR1');
	await waitFor(() => lx.stderr().includes('SIGUSR1'),
	    { what: 'the SIGUSR1 line' });
	const r = await lx.chat({ model: 'gpt-test',
	    messages: [{ role: 'user', content: 'x' }] });
	assert.equal(r.status, 200);
	assert.ok(alive(lx.pid));
	assert.deepEqual(lx.workers().sort(), workers.sort());
});

closingTest(env);
