import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openAiCompatibleAdapter as adapter } from '../../../src/providers/openai-compatible/adapter.js';
import { normalizeOpenAiUsage } from '../../../src/providers/openai-compatible/normalize-usage.js';

function err(status: number, body: string, headers: Record<string, string> = {}) {
  return adapter.parseError({
    operation: 'chat',
    status,
    headers,
    body: Buffer.from(body),
    model: 'm',
    nowMs: Date.parse('2026-01-01T00:00:00Z'),
  });
}

test('status → kind table', () => {
  const table: Array<[number, string, number]> = [
    [400, 'upstream_client_error', 400],
    [404, 'upstream_client_error', 404],
    [409, 'upstream_client_error', 409],
    [422, 'upstream_client_error', 422],
    [401, 'upstream_auth', 401],
    [403, 'upstream_auth', 401],
    [402, 'upstream_rate_limited', 429],
    [429, 'upstream_rate_limited', 429],
    [408, 'upstream_timeout', 504],
    [500, 'upstream_server_error', 502],
    [503, 'upstream_server_error', 502],
    [529, 'upstream_server_error', 502],
    [302, 'upstream_bad_response', 502],
  ];
  for (const [status, kind, appStatus] of table) {
    const e = err(status, '');
    assert.equal(e.kind, kind, `${status}`);
    assert.equal(e.status, appStatus, `${status}`);
    assert.equal(e.upstreamStatus, status);
  }
});

test('Retry-After on 429 and 503: seconds, HTTP-date, retry-after-ms', () => {
  assert.equal(err(429, '{}', { 'retry-after': '3' }).retryAfterMs, 3000);
  assert.equal(err(503, '', { 'retry-after': 'Thu, 01 Jan 2026 00:00:02 GMT' }).retryAfterMs, 2000);
  assert.equal(err(429, '', { 'retry-after-ms': '250', 'retry-after': '3' }).retryAfterMs, 250);
  assert.equal(err(429, '').retryAfterMs, undefined);
});

test('vendor error shapes: OpenAI key echo is redacted', () => {
  const e = err(
    401,
    '{"error":{"message":"Incorrect API key provided: sk-proj-abcdEFGH1234****wxyz. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}',
  );
  assert.equal(e.kind, 'upstream_auth');
  assert.equal(e.code, 'invalid_api_key');
  assert.equal(
    e.message,
    'Incorrect API key provided: [redacted]. You can find your API key at https://platform.openai.com/account/api-keys.',
  );
});

test('vendor error shapes: xAI string error, Zhipu numeric code, DashScope native, FastAPI detail', () => {
  const x = err(
    400,
    '{"code":"Client specified an invalid argument","error":"Incorrect API key provided: xa***vD. You can obtain an API key from https://console.x.ai."}',
  );
  assert.equal(x.message, 'Incorrect API key provided: xa***vD. You can obtain an API key from https://console.x.ai.');
  assert.equal(x.code, 'Client specified an invalid argument');
  const z = err(400, '{"error":{"code":"1211","message":"模型不存在，请检查模型代码。"}}');
  assert.equal(z.code, '1211');
  assert.equal(z.message, '模型不存在，请检查模型代码。');
  const d = err(400, '{"code":"InvalidParameter","message":"Range of input length should be [1, 30720]","request_id":"abc"}');
  assert.equal(d.code, 'InvalidParameter');
  assert.equal(d.message, 'Range of input length should be [1, 30720]');
  const m = err(
    422,
    '{"object":"error","message":{"detail":[{"type":"missing","loc":["body","messages"],"msg":"Field required","input":{"secret prompt":"do not leak"}}]},"type":"invalid_request_message_error","param":null,"code":null}',
  );
  assert.equal(m.message, 'body.messages: Field required');
  assert.equal(m.code, 'invalid_request_message_error');
  assert.equal(m.status, 422);
  assert.ok(!m.message.includes('leak'));
});

test('usage quirks: Moonshot top-level cached_tokens, DashScope cache writes, embeddings', () => {
  assert.deepEqual(normalizeOpenAiUsage({ prompt_tokens: 19, completion_tokens: 13, total_tokens: 32, cached_tokens: 10 }), {
    inputTokens: 19,
    outputTokens: 13,
    cacheReadTokens: 10,
  });
  assert.deepEqual(
    normalizeOpenAiUsage({
      prompt_tokens: 3019,
      completion_tokens: 104,
      total_tokens: 3123,
      prompt_tokens_details: { cached_tokens: 0, cache_creation_input_tokens: 3015 },
    }),
    { inputTokens: 3019, outputTokens: 104, cacheReadTokens: 0, cacheWriteTokens: 3015 },
  );
  assert.deepEqual(normalizeOpenAiUsage({ prompt_tokens: 8, total_tokens: 8 }), { inputTokens: 8 });
  assert.equal(normalizeOpenAiUsage(null), undefined);
  assert.equal(normalizeOpenAiUsage({ foo: 1 }), undefined);
  // Reasoning inside completion (OpenAI/DeepSeek/GLM/Qwen): not added twice.
  assert.equal(
    normalizeOpenAiUsage({
      prompt_tokens: 6,
      completion_tokens: 212,
      total_tokens: 218,
      completion_tokens_details: { reasoning_tokens: 198 },
    })?.outputTokens,
    212,
  );
});

test('an error object inside a 200 body is the error it describes', () => {
  assert.throws(
    () =>
      adapter.parseResponse({
        operation: 'chat',
        status: 200,
        headers: {},
        body: Buffer.from('{"error":{"message":"Rate limit reached","type":"rate_limit_error"}}'),
        model: 'm',
      }),
    (e: unknown) => e instanceof Error && (e as { kind?: string }).kind === 'upstream_rate_limited' && e.message === 'Rate limit reached',
  );
});
