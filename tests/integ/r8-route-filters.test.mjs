// The filters before a pick, end to end: with enable_pre_call_checks a
// prompt too long for a deployment's max_input_tokens skips it (and a
// 400 context-window error when it is too long for all), only the lowest
// order tier is picked from; with enable_tag_filtering the request's tags
// and metadata.tags choose among litellm_params.tags, default as LiteLLM.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MASTER_KEY, apiError, chatBody, closingTest, settings, setup }
    from './lib.mjs';

function canned(name, answer, params = '', info = '') {
	return `
  - model_name: ${name}
    litellm_params:
      model: openai/${answer}
      mock_response: ${answer}
${params}
    model_info:
      id: ${answer}
${info}`;
}

const env = await setup(() => `
model_list:
${canned('ctx', 'small', '', '      max_input_tokens: 50')}
${canned('ctx', 'big', '', '      max_input_tokens: 100000')}
${canned('tiny', 'tiny-a', '', '      max_input_tokens: 10')}
${canned('tiny', 'tiny-b', '', '      max_input_tokens: 20')}
${canned('tier', 'first', '      order: 1')}
${canned('tier', 'second', '      order: 2')}
${canned('tier', 'unordered')}
${canned('tagged', 'free', '      tags: [free]')}
${canned('tagged', 'paid', '      tags: [paid, teamB]')}
${canned('tagged', 'dflt', '      tags: [default]')}
${canned('strict', 'strict-a', '      tags: [a]')}
${canned('strict', 'strict-none')}
${settings({ router: `  enable_pre_call_checks: true
  enable_tag_filtering: true` })}`);

const LONG = 'x'.repeat(400);

async function answers(model, content, extra = {}, n = 12) {
	const client = env.lx.client();
	const seen = new Set();
	for (let i = 0; i < n; i++) {
		const r = await client.chat.completions.create({ model,
		    messages: [{ role: 'user', content }], ...extra });
		seen.add(r.choices[0].message.content);
	}
	return [...seen].sort();
}

test('a prompt over a max_input_tokens skips that deployment', {
    timeout: 30000 }, async () => {
	assert.deepEqual(await answers('ctx', LONG), ['big']);
	assert.deepEqual(await answers('ctx', 'hi', {}, 30), ['big', 'small']);
});

test('a prompt over every window is a 400 context-window error', {
    timeout: 30000 }, async () => {
	const r = await env.lx.request({ path: '/v1/chat/completions',
	    method: 'POST', headers: { authorization: `Bearer ${MASTER_KEY}`,
	    'content-type': 'application/json' }, body: chatBody('tiny', LONG) });
	assert.equal(r.status, 400, r.text);
	assert.equal(r.json.error.code, '400');
	assert.match(r.json.error.message, /^litellm\.ContextWindowExceeded/);
	assert.match(r.json.error.message, /No models have context window large enough for this call\.\nModel=tiny, Max Input Tokens=20, Got=\d+$/);
});

test('only the lowest order tier is picked from', { timeout: 30000 },
    async () => {
	assert.deepEqual(await answers('tier', 'hi', {}, 20), ['first']);
});

test('tags: any shared tag, else default; untagged: default', {
    timeout: 30000 }, async () => {
	assert.deepEqual(await answers('tagged', 'hi', { tags: ['paid'] }),
	    ['paid']);
	assert.deepEqual(await answers('tagged', 'hi',
	    { metadata: { tags: ['free'] } }), ['free']);
	assert.deepEqual(await answers('tagged', 'hi', { tags: ['teamB',
	    'nope'] }), ['paid']);
	assert.deepEqual(await answers('tagged', 'hi', { tags: ['other'] }),
	    ['dflt']);
	assert.deepEqual(await answers('tagged', 'hi'), ['dflt']);
	// No default deployment: an untagged request may go anywhere.
	assert.deepEqual(await answers('strict', 'hi', {}, 30),
	    ['strict-a', 'strict-none']);
});

test('tags matching nothing, without a default, are refused', {
    timeout: 30000 }, async () => {
	const e = await apiError(env.lx.client().chat.completions.create({
	    model: 'strict', messages: [{ role: 'user', content: 'hi' }],
	    tags: ['b', 'c'] }));
	assert.equal(e.status, 400);
	assert.equal(e.error.message, 'Not allowed to access model due to ' +
	    "tags configuration. Passed model=strict and tags=['b', 'c']");
});

closingTest(env);
