import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { APIError } from 'openai';
import { loadFixture } from '../support/fixtures.js';
import { jsonReply, type MockUpstream, type Reply, startMockUpstream } from '../support/mock-upstream.js';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver.js';
import { twoProviderYaml } from '../support/configs.js';
import { startSidecar, type TestSidecar } from '../support/sidecar.js';

const chatOk = (): Reply => {
  const f = loadFixture('openai/chat-completion-tool-calls');
  return { kind: 'bytes', status: 200, contentType: f.contentType, body: f.body };
};
const deepseekOk = (): Reply => {
  const f = loadFixture('deepseek/chat-completion-reasoning');
  return { kind: 'bytes', status: 200, contentType: f.contentType, body: f.body };
};
const streamText = () => loadFixture('openai/chat-stream-text');

/** The spans of the most recent call: found by the call id on its ledger record (export is async). */
async function serverSpan(
  otlp: OtlpReceiver,
  sc: TestSidecar,
  recordsBefore: number,
): Promise<{ server: ReceivedSpan; clients: ReceivedSpan[] }> {
  for (let i = 0; i < 200 && sc.records.length <= recordsBefore; i++) await new Promise((r) => setTimeout(r, 10));
  const callId = sc.records.at(-1)?.callId;
  assert.ok(callId && sc.records.length > recordsBefore, 'the call was recorded');
  const spans = await otlp.waitForSpans((s) => s.some((x) => x.attributes['switchyard.call.id'] === callId));
  const server = spans.find((x) => x.attributes['switchyard.call.id'] === callId) as ReceivedSpan;
  await otlp.waitForSpans(
    (s) => s.filter((x) => x.parentSpanId === server.spanId).length >= Number(server.attributes['switchyard.attempt.count']),
  );
  const clients = otlp.spans.filter((x) => x.parentSpanId === server.spanId && x.kind === 'CLIENT');
  clients.sort((a, b) => Number(a.attributes['switchyard.attempt.index']) - Number(b.attributes['switchyard.attempt.index']));
  return { server, clients };
}

describe('retries, fallbacks and faults (mock upstreams, OTLP receiver)', () => {
  let primary: MockUpstream;
  let backup: MockUpstream;
  let otlp: OtlpReceiver;
  let sc: TestSidecar;

  before(async () => {
    primary = await startMockUpstream();
    backup = await startMockUpstream();
    otlp = await startOtlpReceiver();
    sc = await startSidecar({
      yaml: twoProviderYaml({ primary: primary.baseUrl, secondary: backup.baseUrl, retry: { max_attempts: 2 }, timeoutMs: 400 }),
      otlpUrl: otlp.url,
    });
  });
  after(async () => {
    await sc.close();
    await Promise.all([primary.close(), backup.close(), otlp.close()]);
  });

  test('a 500 is retried on the same target; the retry is on the spans', async () => {
    const n = sc.records.length;
    primary.enqueue(jsonReply(500, { error: { message: 'boom', type: 'server_error' } }), chatOk());
    const res = await sc.openai().chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(res.choices[0]?.finish_reason, 'tool_calls');
    const { server, clients } = await serverSpan(otlp, sc, n);
    assert.equal(server.attributes['switchyard.attempt.count'], 2);
    assert.equal(server.attributes['switchyard.retry.count'], 1);
    assert.equal(server.attributes['switchyard.fallback.path'], 'primary/gpt-4o-mini');
    assert.equal(server.attributes['switchyard.outcome'], 'ok');
    assert.equal(clients.length, 2);
    assert.equal(clients[0]?.attributes['error.type'], 'upstream_server_error');
    assert.equal(clients[0]?.attributes['http.response.status_code'], 500);
    assert.equal(clients[0]?.status.code, 2);
    assert.equal(clients[1]?.attributes['http.response.status_code'], 200);
  });

  for (const [name, fault, errorType] of [
    [
      '429 with Retry-After',
      jsonReply(429, { error: { message: 'slow down', type: 'rate_limit_error' } }, { 'retry-after': '0' }),
      'upstream_rate_limited',
    ],
    ['500', jsonReply(500, { error: { message: 'boom' } }), 'upstream_server_error'],
    ['connection reset', { kind: 'reset' }, 'upstream_connection'],
    ['timeout before headers', { kind: 'hang' }, 'upstream_timeout'],
  ] as const) {
    test(`falls back to the next provider after ${name}`, async () => {
      const n = sc.records.length;
      primary.enqueue(fault as Reply, fault as Reply);
      backup.enqueue(deepseekOk());
      const res = await sc.openai().chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(res.model, 'deepseek-reasoner');
      const seen = backup.requests.at(-1);
      assert.equal(seen?.json?.model, 'deepseek-chat');
      assert.equal(seen?.headers.authorization, 'Bearer sk-backup-SECRET-0002');
      const { server, clients } = await serverSpan(otlp, sc, n);
      assert.equal(server.attributes['switchyard.fallback.path'], 'primary/gpt-4o-mini>backup/deepseek-chat');
      assert.equal(server.attributes['switchyard.attempt.count'], 3);
      assert.equal(server.attributes['switchyard.retry.count'], 1);
      assert.equal(server.attributes['switchyard.final.provider'], 'backup');
      assert.equal(server.attributes['switchyard.final.model'], 'deepseek-chat');
      assert.equal(server.attributes['switchyard.outcome'], 'ok');
      assert.deepEqual(
        clients.map((c) => c.attributes['error.type'] ?? null),
        [errorType, errorType, null],
      );
      assert.equal(clients[2]?.attributes['gen_ai.provider.name'], 'deepseek');
    });
  }

  test('a truncated stream before the first byte falls back; the app sees one clean stream', async () => {
    const n = sc.records.length;
    const f = streamText();
    primary.enqueue(
      { kind: 'cut', status: 200, contentType: f.contentType, body: f.body, bytes: 10 },
      { kind: 'cut', status: 200, contentType: f.contentType, body: f.body, bytes: 10 },
    );
    backup.enqueue({ kind: 'bytes', status: 200, contentType: f.contentType, body: f.body, chunkSize: 37 });
    const stream = await sc.openai().chat.completions.create({ model: 'x', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    assert.ok(text.length > 0);
    const { server, clients } = await serverSpan(otlp, sc, n);
    assert.equal(server.attributes['switchyard.fallback.path'], 'primary/gpt-4o-mini>backup/deepseek-chat');
    assert.equal(clients[0]?.attributes['error.type'], 'upstream_truncated');
  });

  test('a stream cut after the first byte ends with an OpenAI error event: no retry, no fallback', async () => {
    const n = sc.records.length;
    const f = streamText();
    const cutAt = f.body.indexOf('\n\n', 400) + 2;
    primary.enqueue({ kind: 'cut', status: 200, contentType: f.contentType, body: f.body, bytes: cutAt });
    const before = backup.requests.length;
    const stream = await sc.openai().chat.completions.create({ model: 'x', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    let chunks = 0;
    await assert.rejects(
      (async () => {
        for await (const _ of stream) chunks++;
      })(),
      (e: unknown) => e instanceof APIError && /broke off|truncated|ended before/i.test(e.message),
    );
    assert.ok(chunks > 0, 'the app got the chunks before the cut');
    assert.equal(backup.requests.length, before, 'no fallback after commit');
    const { server, clients } = await serverSpan(otlp, sc, n);
    assert.equal(server.attributes['switchyard.outcome'], 'error');
    assert.equal(server.attributes['error.type'], 'upstream_truncated');
    assert.equal(server.attributes['switchyard.attempt.count'], 1);
    assert.equal(clients.length, 1);
  });

  test('every target failing returns the last upstream status with the fallback path', async () => {
    const n = sc.records.length;
    primary.enqueue(jsonReply(503, { error: { message: 'down' } }), jsonReply(503, { error: { message: 'down' } }));
    backup.enqueue(jsonReply(503, { error: { message: 'also down' } }), jsonReply(503, { error: { message: 'also down' } }));
    const res = await fetch(`${sc.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'x', messages: [] }),
    });
    assert.equal(res.status, 503);
    const body = (await res.json()) as { error: { message: string; type: string; param: unknown; code: unknown } };
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
    assert.match(
      body.error.message,
      /All targets failed for feature "support-chat" \(tried primary\/gpt-4o-mini > backup\/deepseek-chat\)/,
    );
    assert.equal(body.error.type, 'api_error');
    const { server } = await serverSpan(otlp, sc, n);
    assert.equal(server.attributes['switchyard.outcome'], 'error');
    assert.equal(server.attributes['switchyard.attempt.count'], 4);
  });

  test('a 4xx request error is not retried and not sent to another provider', async () => {
    const f = loadFixture('openai/error-400-unsupported-parameter');
    primary.enqueue({ kind: 'bytes', status: f.status, contentType: f.contentType, body: f.body });
    const before = backup.requests.length;
    await assert.rejects(
      sc.openai().chat.completions.create({ model: 'x', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
      (e: unknown) => e instanceof APIError && e.status === 400 && /max_tokens/.test(e.message),
    );
    assert.equal(backup.requests.length, before);
  });

  test('a client abort aborts the upstream call and is recorded', async () => {
    const n = sc.records.length;
    const f = streamText();
    primary.enqueue({ kind: 'stall', status: 200, contentType: f.contentType, body: f.body, bytes: f.body.indexOf('\n\n') + 2 });
    const controller = new AbortController();
    const abortedBefore = primary.aborted;
    const stream = await sc
      .openai()
      .chat.completions.create({ model: 'x', stream: true, messages: [{ role: 'user', content: 'hi' }] }, { signal: controller.signal });
    let chunks = 0;
    try {
      for await (const _ of stream) {
        chunks++;
        controller.abort();
      }
    } catch {
      // the SDK may raise APIUserAbortError or simply stop; either way the app is gone
    }
    assert.equal(chunks, 1, 'the app received the first chunk, then went away');
    const { server } = await serverSpan(otlp, sc, n);
    assert.equal(server.attributes['error.type'], 'client_aborted');
    assert.equal(server.attributes['switchyard.outcome'], 'error');
    for (let i = 0; i < 50 && primary.aborted === abortedBefore; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(primary.aborted, abortedBefore + 1, 'the upstream saw the connection closed');
  });
});
