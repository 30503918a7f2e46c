import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ClickHouseClient } from '@clickhouse/client';
import type { CallRecord } from '../../src/core/call-record.js';
import { toAiAttemptRows } from '../../src/sinks/clickhouse/rows/ai-attempt-rows.js';
import { toAiCallRow } from '../../src/sinks/clickhouse/rows/ai-call-row.js';
import { parseClickHouseSettings } from '../../src/sinks/clickhouse/settings.js';
import { type ClickHouseSink, createClickHouseSink } from '../../src/sinks/clickhouse/sink.js';
import { BACKENDS, startBackend, type TestBackend } from '../support/clickhouse-server.js';
import { twoProviderYaml } from '../support/configs.js';
import { loadFixture } from '../support/fixtures.js';
import { jsonReply, type MockUpstream, type Reply, startMockUpstream } from '../support/mock-upstream.js';
import { type OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver.js';
import { startSidecar, type TestSidecar } from '../support/sidecar.js';

/**
 * Real sidecar traffic from the official OpenAI SDK, through mock upstreams replaying recorded
 * provider bytes, into ClickHouse: the ledger and attempt rows must be exactly the sidecar's
 * CallRecords, and the spans must land in otel_traces.
 */
const fixtureReply = (name: string, chunkSize?: number): Reply => {
  const f = loadFixture(name);
  return { kind: 'bytes', status: 200, contentType: f.contentType, body: f.body, ...(chunkSize ? { chunkSize } : {}) };
};

// `spans`: the ledger from the spans (otlp_in's views), with the spans also exported over OTLP (the
// ledger then takes the sampled ones from the OTLP batcher) and without; `rows`: one ai_calls_in_v2
// row per call.
const VARIANTS = [
  { source: 'spans', otlp: true },
  { source: 'spans', otlp: false },
  { source: 'rows', otlp: false },
] as const;
for (const [kind, { source, otlp: withOtlp }] of BACKENDS.flatMap((k) => VARIANTS.map((v) => [k, v] as const))) {
  describe(`sidecar traffic into ClickHouse (${kind}, ledger from ${source}${withOtlp ? ', spans exported over OTLP' : ''})`, () => {
    let backend: TestBackend;
    let client: ClickHouseClient;
    let sink: ClickHouseSink;
    let primary: MockUpstream;
    let backup: MockUpstream;
    let sc: TestSidecar;
    let spoolDir: string;
    let otlp: OtlpReceiver | undefined;

    before(async () => {
      delete process.env.CLICKHOUSE_URL;
      backend = await startBackend(kind);
      client = await backend.client();
      spoolDir = mkdtempSync(join(tmpdir(), 'switchyard-spool-'));
      sink = await createClickHouseSink(
        parseClickHouseSettings({ ...backend.connection, spool: { dir: spoolDir }, ledger_source: source }),
        {
          log: () => {},
          env: {},
        },
      );
      primary = await startMockUpstream();
      backup = await startMockUpstream();
      if (withOtlp) otlp = await startOtlpReceiver();
      sc = await startSidecar({
        ...(otlp ? { otlpUrl: otlp.url } : {}),
        yaml: twoProviderYaml({ primary: primary.baseUrl, secondary: backup.baseUrl, retry: { max_attempts: 2 }, timeoutMs: 2000 }),
        sinks: [sink],
        spanSinks: [sink],
        // The ledger's namespace, pod and workload columns come from these.
        resourceAttributes: { 'k8s.namespace.name': 'shop', 'k8s.pod.name': 'web-7d9f-abc', 'k8s.deployment.name': 'web' },
      });
    });
    after(async () => {
      await sc?.close();
      await sink?.close();
      await Promise.all([primary?.close(), backup?.close(), otlp?.close()]);
      await backend?.dispose();
      rmSync(spoolDir, { recursive: true, force: true });
    });

    test('plain, streamed, retried, fallback and failed calls: ledger rows equal the CallRecords', async () => {
      const ai = sc.openai();
      const messages = [{ role: 'user' as const, content: 'hi' }];
      primary.enqueue(fixtureReply('openai/chat-completion-tool-calls'));
      await ai.chat.completions.create({ model: 'x', messages });
      primary.enqueue(fixtureReply('openai/chat-stream-include-usage-reasoning', 41));
      const stream = await ai.chat.completions.create({ model: 'x', stream: true, messages });
      for await (const _ of stream) {
        // drain
      }
      primary.enqueue(jsonReply(500, { error: { message: 'boom' } }), fixtureReply('openai/chat-completion-tool-calls'));
      await ai.chat.completions.create({ model: 'x', messages });
      const limited = jsonReply(429, { error: { message: 'slow down' } }, { 'retry-after': '0' });
      primary.enqueue(limited, limited);
      backup.enqueue(fixtureReply('deepseek/chat-completion-reasoning'));
      await ai.chat.completions.create({ model: 'x', messages });
      const down = jsonReply(503, { error: { message: 'down' } });
      primary.enqueue(down, down);
      backup.enqueue(down, down);
      await assert.rejects(ai.chat.completions.create({ model: 'x', messages }));

      for (let i = 0; i < 200 && sc.records.length < 5; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(sc.records.length, 5);
      await sink.flush();
      const records = [...sc.records].sort((a, b) => a.startedAtMs - b.startedAtMs);
      const [plain, streamed, retried, fallback, failed] = records as [CallRecord, CallRecord, CallRecord, CallRecord, CallRecord];
      assert.deepEqual(plain.resource, { service: 'switchyard-test', namespace: 'shop', pod: 'web-7d9f-abc', workload: 'web' });
      assert.deepEqual(
        records.map((r) => [r.streamed, r.outcome, r.attemptCount, r.retryCount, r.fallbackPath.join('>')]),
        [
          [false, 'ok', 1, 0, 'primary/gpt-4o-mini'],
          [true, 'ok', 1, 0, 'primary/gpt-4o-mini'],
          [false, 'ok', 2, 1, 'primary/gpt-4o-mini'],
          [false, 'ok', 3, 1, 'primary/gpt-4o-mini>backup/deepseek-chat'],
          [false, 'error', 4, 2, 'primary/gpt-4o-mini>backup/deepseek-chat'],
        ],
      );

      assert.equal(sink.health().ledger, source);
      // With OTLP export on, the collector gets the same calls' SERVER spans.
      if (otlp) {
        const servers = await otlp.waitForSpans((got) => got.filter((x) => x.kind === 'SERVER').length >= 5);
        assert.deepEqual(
          servers.filter((x) => x.kind === 'SERVER').map((x) => x.attributes['switchyard.call.id']),
          records.map((r) => r.callId),
        );
      }
      const ledger = await (
        await client.query({ query: 'SELECT * FROM switchyard.ai_calls ORDER BY ts, call_id', format: 'JSONEachRow' })
      ).json();
      assert.deepEqual(ledger, records.map(toAiCallRow));
      const attempts = await (
        await client.query({
          query: 'SELECT * FROM switchyard.ai_attempts ORDER BY ts, call_id, attempt_index',
          format: 'JSONEachRow',
        })
      ).json();
      assert.deepEqual(attempts, records.flatMap(toAiAttemptRows));

      // What those rows say, independently of the mapping.
      assert.ok(plain.usage.inputTokens && plain.usage.inputTokens > 0);
      assert.ok((streamed.usage.outputTokens ?? 0) > 0);
      assert.equal(retried.attempts[0]?.httpStatus, 500);
      assert.equal(fallback.finalProvider, 'backup');
      assert.equal(failed.httpStatus, 503);

      const spans = await (
        await client.query({
          query: `SELECT SpanKind, SpanAttributes['switchyard.call.id'] AS call_id, TraceId
                  FROM switchyard.otel_traces WHERE SpanKind = 'SPAN_KIND_SERVER' ORDER BY Timestamp`,
          format: 'JSONEachRow',
        })
      ).json<{ call_id: string; TraceId: string }>();
      assert.deepEqual(
        spans.map((s) => [s.call_id, s.TraceId]),
        records.map((r) => [r.callId, r.traceId]),
      );
      // A SERVER span starts when its record does and lasts its latency (to float precision).
      const times = await (
        await client.query({
          query: `SELECT SpanAttributes['switchyard.call.id'] AS call_id, toString(toUnixTimestamp64Nano(Timestamp)) AS start_ns, toString(Duration) AS duration_ns
                  FROM switchyard.otel_traces WHERE SpanKind = 'SPAN_KIND_SERVER' ORDER BY Timestamp`,
          format: 'JSONEachRow',
        })
      ).json<{ call_id: string; start_ns: string; duration_ns: string }>();
      for (const [i, t] of times.entries()) {
        const r = records[i] as CallRecord;
        assert.equal(t.call_id, r.callId);
        assert.ok(Math.abs(Number(t.start_ns) / 1e6 - r.startedAtMs) < 0.001, `span start ${t.start_ns} ns, record ${r.startedAtMs} ms`);
        assert.ok(
          Math.abs(Number(t.duration_ns) / 1e6 - r.latencyMs) < 0.001,
          `span duration ${t.duration_ns} ns, latency ${r.latencyMs} ms`,
        );
      }
      const clientSpans = await (
        await client.query({
          query: "SELECT count() AS n FROM switchyard.otel_traces WHERE SpanKind = 'SPAN_KIND_CLIENT'",
          format: 'JSONEachRow',
        })
      ).json<{ n: number }>();
      assert.equal(clientSpans[0]?.n, 1 + 1 + 2 + 3 + 4);
    });

    test('an unsampled call (the app sent traceparent flags 00) is in the ledger, and not in otel_traces', async () => {
      const before = sc.records.length;
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      primary.enqueue(jsonReply(500, { error: { message: 'boom' } }), fixtureReply('openai/chat-completion-tool-calls'));
      await sc
        .openai()
        .chat.completions.create(
          { model: 'x', messages: [{ role: 'user', content: 'hi' }] },
          { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-00` } },
        );
      for (let i = 0; i < 200 && sc.records.length <= before; i++) await new Promise((r) => setTimeout(r, 10));
      await sink.flush();
      const record = sc.records[before] as CallRecord;
      assert.equal(record.traceId, traceId);
      assert.equal(record.attemptCount, 2);
      const where = { query_params: { id: record.callId } };
      const ledger = await (
        await client.query({ query: 'SELECT * FROM switchyard.ai_calls WHERE call_id = {id:String}', format: 'JSONEachRow', ...where })
      ).json();
      assert.deepEqual(ledger, [toAiCallRow(record)]);
      const attempts = await (
        await client.query({
          query: 'SELECT * FROM switchyard.ai_attempts WHERE call_id = {id:String} ORDER BY attempt_index',
          format: 'JSONEachRow',
          ...where,
        })
      ).json();
      assert.deepEqual(attempts, toAiAttemptRows(record));
      const spans = await (
        await client.query({
          query: 'SELECT count() AS n FROM switchyard.otel_traces WHERE TraceId = {t:String}',
          format: 'JSONEachRow',
          query_params: { t: traceId },
        })
      ).json<{ n: number }>();
      assert.equal(Number(spans[0]?.n), 0);
    });
  });
}
