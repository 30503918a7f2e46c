import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadFixture } from '../support/fixtures.js';
import { type MockUpstream, startMockUpstream } from '../support/mock-upstream.js';
import { type OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver.js';
import { twoProviderYaml } from '../support/configs.js';
import { startSidecar, type TestSidecar } from '../support/sidecar.js';

function fixtureReply(name: string, chunkSize?: number) {
  const f = loadFixture(name);
  return { kind: 'bytes' as const, status: f.status, contentType: f.contentType, body: f.body, ...(chunkSize ? { chunkSize } : {}) };
}

describe('official openai SDK through the sidecar (recorded fixtures)', () => {
  let upstream: MockUpstream;
  let otlp: OtlpReceiver;
  let sc: TestSidecar;

  before(async () => {
    upstream = await startMockUpstream();
    otlp = await startOtlpReceiver();
    sc = await startSidecar({ yaml: twoProviderYaml({ primary: upstream.baseUrl }), otlpUrl: otlp.url });
  });
  after(async () => {
    await sc.close();
    await upstream.close();
    await otlp.close();
  });

  test('non-streaming tool calls parse exactly as from OpenAI; keys stay in the sidecar; spans carry GenAI attributes', async () => {
    upstream.enqueue(fixtureReply('openai/chat-completion-tool-calls'));
    otlp.clear();
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const res = await sc.openai({ feature: 'support-chat' }).chat.completions.create(
      {
        model: 'anything',
        messages: [{ role: 'user', content: 'weather in Seattle and SF?' }],
        tools: [{ type: 'function', function: { name: 'get_current_weather', parameters: { type: 'object' } } }],
      },
      { headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } },
    );
    assert.equal(res.choices[0]?.finish_reason, 'tool_calls');
    assert.deepEqual(
      res.choices[0]?.message.tool_calls?.map((t) => (t.type === 'function' ? [t.function.name, t.function.arguments] : [])),
      [
        ['get_current_weather', '{"location": "Seattle, WA"}'],
        ['get_current_weather', '{"location": "San Francisco, CA"}'],
      ],
    );
    assert.equal(res.usage?.prompt_tokens, 75);

    const seen = upstream.requests.at(-1);
    assert.ok(seen);
    assert.equal(seen.path, '/v1/chat/completions');
    assert.equal(seen.headers.authorization, 'Bearer sk-primary-SECRET-0001');
    assert.equal(seen.headers['x-switchyard-feature'], undefined);
    assert.equal(seen.json?.model, 'gpt-4o-mini', 'model_override: the route model wins');
    assert.ok(Array.isArray(seen.json?.tools), 'unknown/extra fields are forwarded');
    const upstreamTraceparent = String(seen.headers.traceparent);
    assert.match(upstreamTraceparent, new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    const spans = await otlp.waitForSpans((s) => s.some((x) => x.kind === 'SERVER') && s.some((x) => x.kind === 'CLIENT'));
    const server = spans.find((s) => s.kind === 'SERVER');
    const client = spans.find((s) => s.kind === 'CLIENT');
    assert.ok(server && client);
    assert.equal(server.traceId, traceId);
    assert.equal(server.parentSpanId, 'b7ad6b7169203331');
    assert.equal(client.parentSpanId, server.spanId);
    assert.equal(upstreamTraceparent.split('-')[2], client.spanId, 'the upstream sees the CLIENT span as parent');
    assert.equal(client.name, 'chat gpt-4o-mini');
    assert.equal(server.attributes['switchyard.feature'], 'support-chat');
    assert.equal(server.attributes['switchyard.outcome'], 'ok');
    assert.equal(server.attributes['switchyard.attempt.count'], 1);
    assert.equal(server.attributes['switchyard.retry.count'], 0);
    assert.equal(server.attributes['switchyard.fallback.path'], 'primary/gpt-4o-mini');
    assert.equal(server.attributes['switchyard.final.provider'], 'primary');
    assert.equal(server.attributes['switchyard.final.model'], 'gpt-4o-mini');
    assert.equal(server.attributes['switchyard.usage.input_tokens'], 75);
    assert.equal(server.attributes['switchyard.usage.output_tokens'], 51);
    assert.equal(typeof server.attributes['switchyard.cost.usd'], 'number');
    assert.equal(typeof server.attributes['switchyard.overhead_ms'], 'number');
    assert.equal(server.attributes['switchyard.config.hash'], sc.sidecar.config().hash);
    assert.equal(client.attributes['gen_ai.operation.name'], 'chat');
    assert.equal(client.attributes['gen_ai.request.model'], 'gpt-4o-mini');
    assert.equal(client.attributes['gen_ai.response.model'], 'gpt-4o-mini-2024-07-18');
    assert.equal(client.attributes['gen_ai.response.id'], 'chatcmpl-ASYMU9Ntix7ePttk0MSuerJstef6U');
    assert.deepEqual(client.attributes['gen_ai.response.finish_reasons'], ['tool_calls']);
    assert.equal(client.attributes['gen_ai.request.stream'], false);
    assert.equal(client.attributes['gen_ai.usage.input_tokens'], 75);
    assert.equal(client.attributes['gen_ai.usage.output_tokens'], 51);
    assert.equal(client.attributes['server.address'], '127.0.0.1');
    assert.equal(client.attributes['http.response.status_code'], 200);
    for (const body of otlp.rawTraceBodies) assert.ok(!body.includes('SECRET'), 'no provider key in any exported span');
    assert.ok(!otlp.rawTraceBodies.join('').includes('Seattle and SF'), 'no prompt text without capture_content');
  });

  test('streaming tool calls in 37-byte writes: usage injected upstream, stripped for the app, recorded', async () => {
    upstream.enqueue(fixtureReply('openai/chat-stream-parallel-tool-calls-usage', 37));
    const stream = await sc.openai().chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: 'weather?' }],
    });
    const args = new Map<number, string>();
    let sawUsage = false;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      if (chunk.usage) sawUsage = true;
      for (const c of chunk.choices) {
        finish = c.finish_reason ?? finish;
        for (const t of c.delta.tool_calls ?? []) args.set(t.index, (args.get(t.index) ?? '') + (t.function?.arguments ?? ''));
      }
    }
    assert.equal(finish, 'tool_calls');
    assert.equal(args.size, 2);
    for (const a of args.values()) assert.doesNotThrow(() => JSON.parse(a));
    assert.equal(sawUsage, false, 'the usage chunk the app did not ask for is removed');
    const sent = upstream.requests.at(-1)?.json as { stream_options?: { include_usage?: boolean } };
    assert.equal(sent.stream_options?.include_usage, true, 'include_usage injected upstream');
    const rec = sc.records.at(-1);
    assert.ok(rec);
    assert.equal(rec.streamed, true);
    assert.ok((rec.usage.inputTokens ?? 0) > 0 && (rec.usage.outputTokens ?? 0) > 0, 'usage captured from the stripped chunk');
    assert.ok(rec.timeToFirstChunkMs !== undefined && rec.timeToFirstChunkMs > 0);
    // Durations are recorded to the microsecond: three decimals of a ms at most.
    const durations = [
      rec.latencyMs,
      rec.overheadMs,
      rec.timeToFirstChunkMs,
      ...rec.attempts.flatMap((a) => [a.durationMs, a.timeToFirstChunkMs ?? 0]),
    ];
    for (const ms of durations) assert.equal(ms, Math.round(ms * 1000) / 1000, `${ms} has more than three decimals`);
    assert.ok(rec.latencyMs > 0 && (rec.attempts[0]?.durationMs ?? 0) > 0);
  });

  test('streaming when the app asked for usage: the usage chunk reaches the app', async () => {
    upstream.enqueue(fixtureReply('openai/chat-stream-include-usage-reasoning', 37));
    const stream = await sc.openai().chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi' }],
    });
    let usage: { completion_tokens_details?: { reasoning_tokens?: number } } | undefined;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    assert.equal(usage?.completion_tokens_details?.reasoning_tokens, 100);
    assert.equal(sc.records.at(-1)?.usage.reasoningTokens, 100);
  });

  test('embeddings (base64, the SDK default) pass through untouched', async () => {
    upstream.enqueue(fixtureReply('openai/embeddings-base64'));
    const res = await sc.openai().embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
    assert.ok(res.data[0] && res.data[0].embedding.length > 0);
    const rec = sc.records.at(-1);
    assert.equal(rec?.operation, 'embeddings');
    assert.equal(rec?.usage.inputTokens, res.usage.prompt_tokens);
  });

  test('GET /v1/models lists aliases and feature routes', async () => {
    const list = await sc.openai().models.list();
    const ids = list.data.map((m) => m.id).sort();
    assert.deepEqual(ids, ['coding', 'fast', 'support-chat']);
  });
});
