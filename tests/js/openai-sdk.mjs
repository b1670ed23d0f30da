// The official OpenAI JavaScript SDK (npm `openai`, pinned in package-lock.json) against a running `elastic serve`:
// models, completions and chat, whole and streamed, the SDK's stream helper, logprobs, n, stop, token-id prompts,
// vLLM's return_tokens_as_token_ids, errors as the SDK's typed exceptions, and a client that aborts mid-stream.
//   node tests/js/openai-sdk.mjs BASE_URL MODEL API_KEY
// Exits 0 after printing "N checks passed"; on the first failed check, non-zero with what differed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';

const [baseURL, model, apiKey] = process.argv.slice(2);
if (!baseURL || !model || !apiKey) {
  console.error('usage: node openai-sdk.mjs BASE_URL MODEL API_KEY');
  process.exit(2);
}

const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 60_000 });
let checks = 0;
const check = async (name, body) => {
  try {
    await body();
    checks++;
  } catch (error) {
    console.error(`check failed: ${name}`);
    throw error;
  }
};
const concat = async (stream, pick) => {
  let text = '';
  const chunks = [];
  for await (const chunk of stream) {
    chunks.push(chunk);
    text += pick(chunk) ?? '';
  }
  return { text, chunks };
};

await check('models.list names the served model', async () => {
  const models = await client.models.list();
  assert.deepEqual(models.data.map((m) => [m.id, m.object]), [[model, 'model']]);
});

const completion = await client.completions.create({ model, prompt: '12+30=', max_tokens: 8, temperature: 0, logprobs: 2 });
await check('completions.create: text, usage and one logprob per token', async () => {
  const [choice] = completion.choices;
  assert.equal(completion.object, 'text_completion');
  assert.equal(typeof choice.text, 'string');
  assert.ok(['stop', 'length'].includes(choice.finish_reason));
  assert.equal(choice.logprobs.tokens.length, completion.usage.completion_tokens);
  assert.equal(completion.usage.total_tokens, completion.usage.prompt_tokens + completion.usage.completion_tokens);
  for (const top of choice.logprobs.top_logprobs) {
    assert.ok(Object.keys(top).length >= 1 && Object.keys(top).length <= 3);
  }
});

await check('completions stream equals the whole completion, usage last', async () => {
  const stream = await client.completions.create({ model, prompt: '12+30=', max_tokens: 8, temperature: 0, stream: true, stream_options: { include_usage: true } });
  const { text, chunks } = await concat(stream, (c) => c.choices[0]?.text);
  assert.equal(text, completion.choices[0].text);
  const last = chunks.at(-1);
  assert.deepEqual(last.choices, []);
  assert.equal(last.usage.completion_tokens, completion.usage.completion_tokens);
  assert.ok(chunks.some((c) => c.choices[0]?.finish_reason === completion.choices[0].finish_reason));
});

await check('a prompt of token ids', async () => {
  const fromIds = await client.completions.create({ model, prompt: [5, 6, 7], max_tokens: 2, temperature: 0 });
  assert.equal(fromIds.usage.prompt_tokens, 3);
});

await check('vLLM return_tokens_as_token_ids renders tokens as token_id:N', async () => {
  const ids = await client.completions.create({ model, prompt: '12+30=', max_tokens: 4, temperature: 0, logprobs: 1, return_tokens_as_token_ids: true });
  assert.ok(ids.choices[0].logprobs.tokens.length > 0);
  for (const token of ids.choices[0].logprobs.tokens) {
    assert.match(token, /^token_id:\d+$/);
  }
});

await check('stop ends the text before the stop string', async () => {
  const text = completion.choices[0].text;
  if (text.length < 2) {
    return;
  }

  const stop = text.slice(1, 2);
  const stopped = await client.completions.create({ model, prompt: '12+30=', max_tokens: 8, temperature: 0, stop: [stop] });
  assert.ok(!stopped.choices[0].text.includes(stop), `"${stopped.choices[0].text}" contains the stop string "${stop}"`);
  assert.ok(text.startsWith(stopped.choices[0].text));
  assert.equal(stopped.choices[0].finish_reason, 'stop');
});

const messages = [{ role: 'system', content: 'Add.' }, { role: 'user', content: '12+30=' }];
const chat = await client.chat.completions.create({ model, messages, max_tokens: 8, temperature: 0 });
await check('chat.completions.create: one assistant message', async () => {
  assert.equal(chat.object, 'chat.completion');
  assert.equal(chat.choices.length, 1);
  assert.equal(chat.choices[0].message.role, 'assistant');
  assert.equal(typeof chat.choices[0].message.content, 'string');
});

await check('chat n=2 with logprobs: two choices, one logprob entry per token', async () => {
  const two = await client.chat.completions.create({ model, messages, max_tokens: 6, n: 2, seed: 7, temperature: 1, logprobs: true, top_logprobs: 2 });
  assert.deepEqual(two.choices.map((c) => c.index).sort(), [0, 1]);
  const tokens = two.choices.reduce((sum, c) => sum + c.logprobs.content.length, 0);
  assert.equal(tokens, two.usage.completion_tokens);
  for (const entry of two.choices.flatMap((c) => c.logprobs.content)) {
    assert.equal(entry.top_logprobs.length, 2);
    assert.ok(entry.logprob <= 0);
  }
});

await check('chat stream: role first, then the same text as the whole reply', async () => {
  const stream = await client.chat.completions.create({ model, messages, max_tokens: 8, temperature: 0, stream: true });
  const { text, chunks } = await concat(stream, (c) => c.choices[0]?.delta?.content);
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.equal(chunks[0].object, 'chat.completion.chunk');
  assert.equal(text, chat.choices[0].message.content);
});

await check("the SDK's stream helper assembles the same reply", async () => {
  const runner = client.chat.completions.stream({ model, messages, max_tokens: 8, temperature: 0 });
  const final = await runner.finalChatCompletion();
  assert.equal(final.choices[0].message.content, chat.choices[0].message.content);
  assert.equal(final.choices[0].finish_reason, chat.choices[0].finish_reason);
});

await check('a client that aborts mid-stream, then the server still answers', async () => {
  // The SDK ends a stream's iteration quietly when its own signal aborts it (and drops the connection).
  const controller = new AbortController();
  const stream = await client.completions.create({ model, prompt: 'x', max_tokens: 200, ignore_eos: true, stream: true }, { signal: controller.signal });
  let received = 0;
  for await (const _ of stream) {
    if (++received === 3) {
      controller.abort();
    }
  }
  assert.ok(received < 200, `${received} chunks arrived after the abort`);
  const after = await client.completions.create({ model, prompt: '12+30=', max_tokens: 8, temperature: 0 });
  assert.ok(after.usage.completion_tokens > 0);
});

const rejects = (request, type, status, fields) =>
  assert.rejects(request, (error) => {
    assert.ok(error instanceof type, `${error.constructor.name}: ${error.message}`);
    assert.equal(error.status, status);
    for (const [key, value] of Object.entries(fields)) {
      assert.equal(error.error?.[key], value, `error.${key}`);
    }
    return true;
  });

await check('an unknown model is a NotFoundError', () =>
  rejects(client.completions.create({ model: 'no-such-model', prompt: 'x' }), OpenAI.NotFoundError, 404, { code: 'model_not_found' }));
await check('max_tokens out of range is a BadRequestError naming it', () =>
  rejects(client.completions.create({ model, prompt: 'x', max_tokens: -1 }), OpenAI.BadRequestError, 400, { param: 'max_tokens', type: 'invalid_request_error' }));
await check('prompt + max_tokens over the context is a BadRequestError', () =>
  rejects(client.chat.completions.create({ model, messages, max_tokens: 1_000_000 }), OpenAI.BadRequestError, 400, { code: 'context_length_exceeded' }));
await check('a wrong key is an AuthenticationError', () =>
  rejects(new OpenAI({ baseURL, apiKey: `${apiKey}-wrong`, maxRetries: 0 }).models.list(), OpenAI.AuthenticationError, 401, {}));

const sdk = JSON.parse(readFileSync(new URL('./node_modules/openai/package.json', import.meta.url), 'utf8'));
console.log(`openai (npm) ${sdk.version}: ${checks} checks passed`);
