// An upstream error that echoes the key it was sent (issue 15, point 8):
// neither the client's error message nor llmux's log carries the key.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UPSTREAM_KEY, closingTest, deployment, settings, setup }
    from './lib.mjs';

// The upstream answers 401: without this the deployment would cool down
// after the first test, as in LiteLLM.
const env = await setup((mock) => `
model_list:
${deployment('gpt-test', 'openai/up-model', mock.apiBase())}
${settings({ router: '  disable_cooldowns: true' })}`);

for (const stream of [false, true]) {
	test(`the key is redacted (stream ${stream})`, { timeout: 30000 },
	    async () => {
		const r = await env.lx.chat({ model: 'gpt-test', stream,
		    messages: [{ role: 'user', content: '[[mock:status=401,' +
		    `message=Incorrect API key: Bearer ${UPSTREAM_KEY} ` +
		    `(again ${UPSTREAM_KEY})]]` }] });
		assert.equal(r.status, 401, r.text);
		assert.ok(!r.text.includes(UPSTREAM_KEY), r.text);
		assert.match(r.json.error.message,
		    /^litellm\.AuthenticationError: AuthenticationError: OpenAIException - Incorrect API key: Bearer \S+ \(again \S+\)$/);
	});
}

test('the log never carries the key', { timeout: 30000 }, async () => {
	const log = env.lx.stderr();
	assert.match(log, /Incorrect API key/);
	assert.ok(!log.includes(UPSTREAM_KEY), 'the key is in the log');
});

closingTest(env);
