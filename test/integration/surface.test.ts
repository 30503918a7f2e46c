import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { EMBEDDED_DEFAULT_CONFIG } from '../../src/config/embedded-default.js';
import { loadFixture } from '../support/fixtures.js';
import { type MockUpstream, startMockUpstream } from '../support/mock-upstream.js';
import { type OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver.js';
import { twoProviderYaml } from '../support/configs.js';
import { startSidecar, type TestSidecar } from '../support/sidecar.js';

describe('passthrough, health, metrics, content capture, client keys', () => {
  let upstream: MockUpstream;
  let otlp: OtlpReceiver;
  let sc: TestSidecar;
  before(async () => {
    upstream = await startMockUpstream();
    otlp = await startOtlpReceiver();
    const yaml = twoProviderYaml({ primary: upstream.baseUrl, captureContent: true })
      .replace('providers:\n', `providers:\n  byok: { protocol: openai, base_url: ${upstream.baseUrl}, forward_client_key: true }\n`)
      .replace('  coding:', '  byok-feature:\n    targets: [ { provider: byok, model: gpt-4o-mini } ]\n  coding:');
    sc = await startSidecar({ yaml, otlpUrl: otlp.url });
  });
  after(async () => {
    await sc.close();
    await Promise.all([upstream.close(), otlp.close()]);
  });

  test('an untranslated /v1 endpoint passes through verbatim with the provider key, and is recorded as a span', async () => {
    const f = loadFixture('openai/images-generations-url');
    upstream.enqueue({ kind: 'bytes', status: f.status, contentType: f.contentType, body: f.body });
    const n = sc.records.length;
    const res = await sc.openai({ feature: 'coding' }).images.generate({ model: 'dall-e-3', prompt: 'a switchyard at dusk' });
    assert.ok(res.data?.[0]?.url?.startsWith('https://'));
    const seen = upstream.requests.at(-1);
    assert.equal(seen?.path, '/v1/images/generations');
    assert.equal(seen?.headers.authorization, 'Bearer sk-primary-SECRET-0001');
    assert.equal(seen?.headers['x-switchyard-feature'], undefined);
    assert.match(String(seen?.headers.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.equal(seen?.json?.prompt, 'a switchyard at dusk', 'body forwarded verbatim');
    for (let i = 0; i < 100 && sc.records.length === n; i++) await new Promise((r) => setTimeout(r, 10));
    const rec = sc.records.at(-1);
    assert.equal(rec?.operation, 'passthrough');
    assert.equal(rec?.path, '/v1/images/generations');
    assert.equal(rec?.feature, 'coding');
    assert.equal(rec?.httpStatus, 200);
    const spans = await otlp.waitForSpans((s) => s.some((x) => x.attributes['switchyard.call.id'] === rec?.callId));
    const server = spans.find((x) => x.attributes['switchyard.call.id'] === rec?.callId);
    assert.equal(server?.attributes['switchyard.operation'], 'passthrough');
  });

  test('the app key is forwarded only to a provider with forward_client_key', async () => {
    upstream.enqueue({
      kind: 'bytes',
      status: 200,
      contentType: 'application/json',
      body: loadFixture('openai/chat-completion-tool-calls').body,
    });
    await sc
      .openai({ feature: 'byok-feature', apiKey: 'sk-app-own-key' })
      .chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(upstream.requests.at(-1)?.headers.authorization, 'Bearer sk-app-own-key');
  });

  test('capture_content: true records prompt and completion text', async () => {
    upstream.enqueue({
      kind: 'bytes',
      status: 200,
      contentType: 'application/json',
      body: Buffer.from(
        '{"id":"c","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"the answer is 42"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":4,"total_tokens":9}}',
      ),
    });
    await sc.openai().chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'what is the answer?' }] });
    const rec = sc.records.at(-1);
    assert.match(rec?.content?.input ?? '', /what is the answer\?/);
    assert.equal(rec?.content?.output, 'the answer is 42');
  });

  test('health, readiness, liveness and Prometheus metrics on the health port', async () => {
    for (const path of ['/healthz', '/readyz', '/livez']) {
      const res = await fetch(`${sc.healthUrl}${path}`);
      assert.equal(res.status, 200, path);
    }
    const ready = (await (await fetch(`${sc.healthUrl}/readyz`)).json()) as { status: string; config_hash: string; sinks: unknown[] };
    assert.equal(ready.status, 'ready');
    assert.equal(ready.config_hash, sc.sidecar.config().hash);
    assert.ok(Array.isArray(ready.sinks));
    const metrics = await (await fetch(`${sc.healthUrl}/metrics`)).text();
    assert.match(metrics, /gen_ai_client_operation_duration_bucket\{/);
    assert.match(metrics, /switchyard_calls_total\{[^}]*switchyard_feature="support-chat"/);
    const missing = await fetch(`${sc.healthUrl}/nope`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'not_found');
  });
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('the embedded default config (npm start) works with no provider key', () => {
  let sc: TestSidecar;
  before(async () => {
    const port = await freePort();
    sc = await startSidecar({
      yaml: EMBEDDED_DEFAULT_CONFIG.replaceAll('127.0.0.1:4010', `127.0.0.1:${port}`),
      env: { OPENAI_API_KEY: '' },
    });
  });
  after(() => sc?.close());

  test('the demo provider is the local simulator, clearly labelled, and answers through the official SDK', async () => {
    assert.match(EMBEDDED_DEFAULT_CONFIG, /NOT a real AI provider/);
    const client = sc.openai();
    const res = await client.chat.completions.create({ model: 'whatever', messages: [{ role: 'user', content: 'hello' }] });
    assert.match(res.choices[0]?.message.content ?? '', /Switchyard local simulator/);
    const stream = await client.chat.completions.create({
      model: 'whatever',
      stream: true,
      messages: [{ role: 'user', content: 'hello' }],
    });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    assert.match(text, /not from a real model/);
    const rec = sc.records.at(-1);
    assert.equal(rec?.feature, 'demo');
    assert.equal(rec?.finalProvider, 'local-simulator');
    assert.ok((rec?.costUsd ?? 0) > 0, 'simulated prices make demo costs visible');
  });
});
