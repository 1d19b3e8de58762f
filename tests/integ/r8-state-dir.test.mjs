// Issue 8: a state_dir that cannot be created or opened stops llmux at
// start, with a message naming it; a missing one is created with its
// parents.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BUILD, TMP, closingTest, deployment, freePort, settings, setup }
    from './lib.mjs';

fs.mkdirSync(TMP, { recursive: true });
const dir = fs.mkdtempSync(path.join(TMP, 'r8-state-dir-'));
const created = path.join(dir, 'new', 'deeper');
const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings({ stateDir: created })}`);

test('a missing state_dir is created with its parents', async () => {
	assert.ok(fs.existsSync(path.join(created, 'data.mdb')));
	const r = await env.lx.chat({ model: 'gpt-test',
	    messages: [{ role: 'user', content: 'x' }] });
	assert.equal(r.status, 200);
});

test('a state_dir that cannot be made refuses to start, naming it',
    async () => {
	const file = path.join(dir, 'a-file');
	fs.writeFileSync(file, 'not a folder\n');
	const bad = path.join(file, 'state');
	const cfg = path.join(dir, 'bad.yaml');
	fs.writeFileSync(cfg, `
model_list:
${deployment('gpt-test', 'openai/up-model', 'http://127.0.0.1:9/v1')}
llmux_settings:
  state_dir: ${bad}
`);
	const r = spawnSync(path.join(BUILD, 'llmux'), ['--config', cfg,
	    '--host', '127.0.0.1', '--port', String(await freePort()),
	    '--num_workers', '1'], { encoding: 'utf8', timeout: 20000 });
	assert.equal(r.status, 1, r.stderr);
	assert.ok(r.stderr.includes(bad), r.stderr);
});

closingTest(env);
