import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { type MockUpstream, startMockUpstream } from '../support/mock-upstream.js';
import { twoProviderYaml } from '../support/configs.js';
import { startSidecar, type TestSidecar } from '../support/sidecar.js';

/** Raw HTTP so the exact status and body bytes are asserted (the SDK would hide them). */
function send(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer; chunked?: Buffer[] },
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: opts.method ?? 'POST', headers: { 'content-type': 'application/json', ...(opts.headers ?? {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      },
    );
    req.on('error', reject);
    if (opts.chunked) {
      const write = (i: number) => {
        if (i >= (opts.chunked as Buffer[]).length) return void req.end();
        if (req.destroyed) return;
        req.write((opts.chunked as Buffer[])[i], () => write(i + 1));
      };
      write(0);
    } else req.end(opts.body);
  });
}

describe('bad input gets an exact OpenAI-style error', () => {
  let upstream: MockUpstream;
  let sc: TestSidecar;
  let chat: string;

  before(async () => {
    upstream = await startMockUpstream();
    sc = await startSidecar({ yaml: twoProviderYaml({ primary: upstream.baseUrl, modelOverride: false }) });
    chat = `${sc.baseURL}/chat/completions`;
  });
  after(async () => {
    await sc.close();
    await upstream.close();
  });

  const cases: Array<[string, () => Parameters<typeof send>[1], number, string, string?]> = [
    [
      'malformed JSON',
      () => ({ body: '{"model": "x", "messages": [' }),
      400,
      '{"error":{"message":"The request body is not valid JSON.","type":"invalid_request_error","param":null,"code":"invalid_json"}}',
    ],
    [
      'empty body',
      () => ({ body: '' }),
      400,
      '{"error":{"message":"The request body is empty; expected a JSON object.","type":"invalid_request_error","param":null,"code":"invalid_json"}}',
    ],
    [
      'a JSON array',
      () => ({ body: '[1,2]' }),
      400,
      '{"error":{"message":"The request body must be a JSON object.","type":"invalid_request_error","param":null,"code":"invalid_json"}}',
    ],
    [
      'an oversized body (content-length)',
      () => ({ body: `{"model":"x","pad":"${'a'.repeat(70_000)}"}` }),
      413,
      '{"error":{"message":"The request body exceeds the sidecar\'s limit of 65536 bytes (server.max_body_bytes).","type":"invalid_request_error","param":null,"code":"body_too_large"}}',
    ],
    [
      'an oversized chunked body',
      () => ({ chunked: Array.from({ length: 40 }, () => Buffer.alloc(4096, 0x61)) }),
      413,
      '{"error":{"message":"The request body exceeds the sidecar\'s limit of 65536 bytes (server.max_body_bytes).","type":"invalid_request_error","param":null,"code":"body_too_large"}}',
    ],
    [
      'an unknown feature',
      () => ({ body: '{"model":"x","messages":[]}', headers: { 'x-switchyard-feature': 'billing' } }),
      400,
      '{"error":{"message":"Unknown feature \\"billing\\". Known features: support-chat, coding.","type":"invalid_request_error","param":"x-switchyard-feature","code":"unknown_feature"}}',
    ],
    [
      'an unknown model on a feature without model_override',
      () => ({ body: '{"model":"gpt-9","messages":[]}' }),
      404,
      '{"error":{"message":"The model \\"gpt-9\\" is not available for feature \\"support-chat\\". Use one of: fast, gpt-4o-mini.","type":"invalid_request_error","param":"model","code":"model_not_found"}}',
    ],
  ];
  for (const [name, opts, status, body] of cases) {
    test(name, async () => {
      const before = upstream.requests.length;
      const res = await send(chat, opts());
      assert.equal(res.status, status);
      assert.equal(res.headers['content-type'], 'application/json');
      assert.equal(res.body, body);
      assert.equal(upstream.requests.length, before, 'nothing reached the provider');
    });
  }

  test('a rejected request is still one ledger record, attributed to its feature, with its error', async () => {
    const n = sc.records.length;
    const res = await send(chat, { body: '{not json', headers: { 'x-switchyard-feature': 'coding' } });
    assert.equal(res.status, 400);
    assert.equal(sc.records.length, n + 1);
    const rec = sc.records.at(-1);
    assert.equal(rec?.feature, 'coding');
    assert.equal(rec?.errorType, 'invalid_json');
    assert.equal(rec?.httpStatus, 400);
    assert.equal(rec?.attemptCount, 0);
    assert.equal(rec?.costUsd, 0, 'nothing was billed');
  });

  test('GET on a POST endpoint is 405', async () => {
    const res = await send(chat, { method: 'GET' });
    assert.equal(res.status, 405);
    assert.equal(
      res.body,
      '{"error":{"message":"/v1/chat/completions accepts POST only.","type":"invalid_request_error","param":null,"code":"method_not_allowed"}}',
    );
  });

  test('a path outside /v1 is an OpenAI-style 404', async () => {
    const res = await send(`${sc.apiUrl}/v2/chat`, { method: 'GET' });
    assert.equal(res.status, 404);
    assert.equal(
      res.body,
      '{"error":{"message":"Unknown path GET /v2/chat. Switchyard serves the OpenAI API under /v1.","type":"invalid_request_error","param":null,"code":"not_found"}}',
    );
  });

  test('baggage names the feature; the sidecar keeps serving after every bad request', async () => {
    upstream.enqueue({
      kind: 'bytes',
      status: 200,
      contentType: 'application/json',
      body: Buffer.from(
        '{"id":"c1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}',
      ),
    });
    const res = await send(chat, {
      body: '{"model":"fast","messages":[]}',
      headers: { baggage: 'userId=7,switchyard.feature=coding;ttl=1' },
    });
    assert.equal(res.status, 200);
    assert.equal(sc.records.at(-1)?.feature, 'coding');
  });

  test('a provider answering garbage with 200 is a 502 after retries, naming no secret', async () => {
    upstream.enqueue({ kind: 'bytes', status: 200, contentType: 'application/json', body: Buffer.from('<html>oops</html>') });
    const res = await send(chat, { body: '{"model":"fast","messages":[]}' });
    assert.equal(res.status, 502);
    const parsed = JSON.parse(res.body) as { error: { type: string; code: string; message: string } };
    assert.equal(parsed.error.type, 'api_error');
    assert.equal(parsed.error.code, 'upstream_bad_response');
    assert.ok(!res.body.includes('SECRET'));
  });
});
