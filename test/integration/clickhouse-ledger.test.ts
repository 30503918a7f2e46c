import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ClickHouseClient } from '@clickhouse/client';
import { migrate } from '../../src/sinks/clickhouse/migrations.js';
import { type Batch, bodyBytes, makeBatch } from '../../src/sinks/clickhouse/pipeline/batch.js';
import { BodyPool } from '../../src/sinks/clickhouse/pipeline/body-pool.js';
import { OtlpLedger } from '../../src/sinks/clickhouse/pipeline/otlp-ledger.js';
import { toAiAttemptRows } from '../../src/sinks/clickhouse/rows/ai-attempt-rows.js';
import type { CallRecord } from '../../src/core/call-record.js';
import { newCallId } from '../../src/core/ids.js';
import { SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { type LeanEndedSpan, writeLeanSpan } from '../../src/telemetry/lean-otlp/encode-lean-span.js';
import { LEAN_SCOPE } from '../../src/telemetry/lean-spans.js';
import { writeAttemptAttributes, writeCallAttributes } from '../../src/telemetry/span-attributes.js';
import { makeInserter } from '../../src/sinks/clickhouse/pipeline/insert-batch.js';
import { toAiCallRow } from '../../src/sinks/clickhouse/rows/ai-call-row.js';
import { parseClickHouseSettings } from '../../src/sinks/clickhouse/settings.js';
import { type ClickHouseSink, createClickHouseSink } from '../../src/sinks/clickhouse/sink.js';
import { BACKENDS, startBackend, type TestBackend } from '../support/clickhouse-server.js';
import { chTime, RESOURCE, scenarioRecords } from './clickhouse-fixtures.js';

async function rows<T = Record<string, unknown>>(client: ClickHouseClient, query: string): Promise<T[]> {
  return (await client.query({ query, format: 'JSONEachRow' })).json<T>();
}

for (const kind of BACKENDS) {
  describe(`ClickHouse ledger (${kind})`, () => {
    let backend: TestBackend;
    let client: ClickHouseClient;
    let sink: ClickHouseSink;
    let spoolDir: string;
    const logs: string[] = [];
    const now = Date.now();
    const records = scenarioRecords(now);

    before(async () => {
      delete process.env.CLICKHOUSE_URL;
      backend = await startBackend(kind);
      client = await backend.client();
      spoolDir = mkdtempSync(join(tmpdir(), 'switchyard-spool-'));
      const settings = parseClickHouseSettings({ ...backend.connection, spool: { dir: spoolDir } });
      sink = await createClickHouseSink(settings, { log: (l) => logs.push(l), env: {} });
    });
    after(async () => {
      await sink?.close();
      await backend?.dispose();
      rmSync(spoolDir, { recursive: true, force: true });
    });

    test('migrations are versioned and idempotent', async () => {
      const first = await migrate(client, { database: 'mig_check' });
      assert.deepEqual(
        first.applied.map((m) => m.version),
        [1, 2, 3, 4, 5, 6, 7],
      );
      const second = await migrate(client, { database: 'mig_check' });
      assert.deepEqual(second, { applied: [], alreadyApplied: [1, 2, 3, 4, 5, 6, 7] });
      const recorded = await rows<{ version: number; name: string }>(
        client,
        'SELECT version, name FROM mig_check.schema_migrations FINAL ORDER BY version',
      );
      assert.deepEqual(recorded, [
        { version: 1, name: 'create_ai_calls' },
        { version: 2, name: 'create_ai_attempts' },
        { version: 3, name: 'create_otel_traces' },
        { version: 4, name: 'create_ai_calls_hourly' },
        { version: 5, name: 'create_ai_calls_in' },
        { version: 6, name: 'create_ai_calls_in_v2' },
        { version: 7, name: 'create_otlp_in' },
      ]);
      const tables = await rows<{ name: string }>(client, "SELECT name FROM system.tables WHERE database = 'mig_check' ORDER BY name");
      assert.deepEqual(
        tables.map((t) => t.name),
        [
          'ai_attempts',
          'ai_calls',
          'ai_calls_hourly',
          'ai_calls_hourly_mv',
          'ai_calls_in',
          'ai_calls_in_attempts_mv',
          'ai_calls_in_calls_mv',
          'ai_calls_in_spans_mv',
          'ai_calls_in_v2',
          'ai_calls_in_v2_attempts_mv',
          'ai_calls_in_v2_calls_mv',
          'ai_calls_in_v2_spans_mv',
          'otel_traces',
          'otel_traces_trace_id_ts',
          'otel_traces_trace_id_ts_mv',
          'otlp_in',
          'otlp_in_attempts_mv',
          'otlp_in_calls_mv',
          'otlp_in_spans',
          'otlp_in_spans_mv',
          'otlp_in_traces_mv',
          'schema_migrations',
        ],
      );
    });

    test('ledger rows, field by field, for plain, streamed, retried, fallback and failed calls', async () => {
      for (const r of Object.values(records)) sink.write(r);
      await sink.flush();
      assert.equal(sink.health().state, 'ok');
      const got = await rows(client, 'SELECT * FROM switchyard.ai_calls ORDER BY ts');
      assert.equal(got.length, 5);
      const common = {
        trace_id: '0af7651916cd43dd8448eb211c80319c',
        operation: 'chat',
        path: '/v1/chat/completions',
        price_table_version: '2025-06-01',
        config_hash: 'a1b2c3d4e5f6',
        service: 'switchyard',
        namespace: 'shop',
        pod: 'web-7d9f-abc',
        workload: 'web',
      };
      const { plain, streamed, retried, fallback, failure } = records;
      assert.deepEqual(got[0], {
        ...common,
        call_id: 'call-plain',
        ts: chTime(plain.startedAtMs),
        span_id: 'b7ad6b7169203331',
        feature: 'support-chat',
        route: 'support-chat',
        streamed: false,
        requested_model: 'gpt-4o-mini',
        final_provider: 'openai',
        final_model: 'gpt-4o-mini',
        outcome: 'ok',
        error_type: '',
        http_status: 200,
        attempt_count: 1,
        retry_count: 0,
        fallback_path: ['openai/gpt-4o-mini'],
        fallback_path_str: 'openai/gpt-4o-mini',
        latency_ms: 412.25,
        ttfc_ms: null,
        overhead_ms: 0.75,
        input_tokens: 120,
        output_tokens: 30,
        cache_read_tokens: 100,
        cache_write_tokens: 0,
        reasoning_tokens: 0,
        cost_usd: 0.0000255,
      });
      assert.deepEqual(got[1], {
        ...common,
        call_id: 'call-streamed',
        ts: chTime(streamed.startedAtMs),
        span_id: 'c7ad6b7169203332',
        feature: 'support-chat',
        route: 'support-chat',
        streamed: true,
        requested_model: 'gpt-4o-mini',
        final_provider: 'openai',
        final_model: 'gpt-4o-mini',
        outcome: 'ok',
        error_type: '',
        http_status: 200,
        attempt_count: 1,
        retry_count: 0,
        fallback_path: ['openai/gpt-4o-mini'],
        fallback_path_str: 'openai/gpt-4o-mini',
        latency_ms: 950.5,
        ttfc_ms: 180.25,
        overhead_ms: 0.5,
        input_tokens: 40,
        output_tokens: 200,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        reasoning_tokens: 64,
        cost_usd: 0.000126,
      });
      assert.deepEqual(got[2], {
        ...common,
        call_id: 'call-retried',
        ts: chTime(retried.startedAtMs),
        span_id: 'd7ad6b7169203333',
        feature: 'search',
        route: 'search',
        streamed: false,
        requested_model: 'gpt-4o-mini',
        final_provider: 'openai',
        final_model: 'gpt-4o-mini',
        outcome: 'ok',
        error_type: '',
        http_status: 200,
        attempt_count: 2,
        retry_count: 1,
        fallback_path: ['openai/gpt-4o-mini'],
        fallback_path_str: 'openai/gpt-4o-mini',
        latency_ms: 700,
        ttfc_ms: null,
        overhead_ms: 1.25,
        input_tokens: 10,
        output_tokens: 5,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        reasoning_tokens: 0,
        cost_usd: 0.0000045,
      });
      assert.deepEqual(got[3], {
        ...common,
        call_id: 'call-fallback',
        ts: chTime(fallback.startedAtMs),
        span_id: 'e7ad6b7169203334',
        feature: 'search',
        route: 'search',
        streamed: false,
        requested_model: 'gpt-4o-mini',
        final_provider: 'deepseek',
        final_model: 'deepseek-chat',
        outcome: 'ok',
        error_type: '',
        http_status: 200,
        attempt_count: 2,
        retry_count: 0,
        fallback_path: ['openai/gpt-4o-mini', 'deepseek/deepseek-chat'],
        fallback_path_str: 'openai/gpt-4o-mini>deepseek/deepseek-chat',
        latency_ms: 1300,
        ttfc_ms: null,
        overhead_ms: 1,
        input_tokens: 1000,
        output_tokens: 500,
        cache_read_tokens: 0,
        cache_write_tokens: 200,
        reasoning_tokens: 0,
        cost_usd: 0.00082,
      });
      assert.deepEqual(got[4], {
        ...common,
        call_id: 'call-failure',
        ts: chTime(failure.startedAtMs),
        span_id: 'f7ad6b7169203335',
        feature: 'summarize',
        route: 'summarize',
        streamed: false,
        requested_model: 'fast',
        final_provider: 'deepseek',
        final_model: 'deepseek-chat',
        outcome: 'error',
        error_type: 'upstream_unavailable',
        http_status: 503,
        attempt_count: 2,
        retry_count: 0,
        fallback_path: ['openai/gpt-4o-mini', 'deepseek/deepseek-chat'],
        fallback_path_str: 'openai/gpt-4o-mini>deepseek/deepseek-chat',
        latency_ms: 30050,
        ttfc_ms: null,
        overhead_ms: 2,
        input_tokens: 0,
        output_tokens: 0,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        reasoning_tokens: 0,
        cost_usd: null,
      });
    });

    test('ai_attempts: one row per attempt, keyed to the call', async () => {
      const got = await rows(
        client,
        'SELECT call_id, attempt_index, target_index, try_number, provider, model, http_status, outcome, error_type, duration_ms, ttfc_ms, input_tokens, output_tokens, cost_usd, ts, started_at FROM switchyard.ai_attempts ORDER BY started_at',
      );
      const r = records;
      const at = (call: keyof typeof r, i: number) => r[call].attempts[i]?.startedAtMs as number;
      const base = { input_tokens: 0, output_tokens: 0, cost_usd: null, ttfc_ms: null };
      assert.deepEqual(got, [
        {
          ...base,
          call_id: 'call-plain',
          attempt_index: 0,
          target_index: 0,
          try_number: 1,
          provider: 'openai',
          model: 'gpt-4o-mini',
          http_status: 200,
          outcome: 'ok',
          error_type: '',
          duration_ms: 411.5,
          input_tokens: 120,
          output_tokens: 30,
          cost_usd: 0.0000255,
          ts: chTime(r.plain.startedAtMs),
          started_at: chTime(at('plain', 0)),
        },
        {
          ...base,
          call_id: 'call-streamed',
          attempt_index: 0,
          target_index: 0,
          try_number: 1,
          provider: 'openai',
          model: 'gpt-4o-mini',
          http_status: 200,
          outcome: 'ok',
          error_type: '',
          duration_ms: 949,
          ttfc_ms: 180.25,
          input_tokens: 40,
          output_tokens: 200,
          cost_usd: 0.000126,
          ts: chTime(r.streamed.startedAtMs),
          started_at: chTime(at('streamed', 0)),
        },
        {
          ...base,
          call_id: 'call-retried',
          attempt_index: 0,
          target_index: 0,
          try_number: 1,
          provider: 'openai',
          model: 'gpt-4o-mini',
          http_status: 500,
          outcome: 'error',
          error_type: 'upstream_error',
          duration_ms: 200,
          ts: chTime(r.retried.startedAtMs),
          started_at: chTime(at('retried', 0)),
        },
        {
          ...base,
          call_id: 'call-retried',
          attempt_index: 1,
          target_index: 0,
          try_number: 2,
          provider: 'openai',
          model: 'gpt-4o-mini',
          http_status: 200,
          outcome: 'ok',
          error_type: '',
          duration_ms: 398,
          input_tokens: 10,
          output_tokens: 5,
          cost_usd: 0.0000045,
          ts: chTime(r.retried.startedAtMs),
          started_at: chTime(at('retried', 1)),
        },
        {
          ...base,
          call_id: 'call-fallback',
          attempt_index: 0,
          target_index: 0,
          try_number: 1,
          provider: 'openai',
          model: 'gpt-4o-mini',
          http_status: 429,
          outcome: 'error',
          error_type: 'rate_limited',
          duration_ms: 50,
          ts: chTime(r.fallback.startedAtMs),
          started_at: chTime(at('fallback', 0)),
        },
        {
          ...base,
          call_id: 'call-fallback',
          attempt_index: 1,
          target_index: 1,
          try_number: 1,
          provider: 'deepseek',
          model: 'deepseek-chat',
          http_status: 200,
          outcome: 'ok',
          error_type: '',
          duration_ms: 1200,
          input_tokens: 1000,
          output_tokens: 500,
          cost_usd: 0.00082,
          ts: chTime(r.fallback.startedAtMs),
          started_at: chTime(at('fallback', 1)),
        },
        {
          ...base,
          call_id: 'call-failure',
          attempt_index: 0,
          target_index: 0,
          try_number: 1,
          provider: 'openai',
          model: 'gpt-4o-mini',
          http_status: 0,
          outcome: 'error',
          error_type: 'timeout',
          duration_ms: 30000,
          ts: chTime(r.failure.startedAtMs),
          started_at: chTime(at('failure', 0)),
        },
        {
          ...base,
          call_id: 'call-failure',
          attempt_index: 1,
          target_index: 1,
          try_number: 1,
          provider: 'deepseek',
          model: 'deepseek-chat',
          http_status: 503,
          outcome: 'error',
          error_type: 'upstream_unavailable',
          duration_ms: 40,
          ts: chTime(r.failure.startedAtMs),
          started_at: chTime(at('failure', 1)),
        },
      ]);
    });

    test('the hourly rollup matches the ledger', async () => {
      const got = await rows(
        client,
        `SELECT feature, sum(calls) AS calls, sum(errors) AS errors, sum(fallbacks) AS fallbacks, sum(retries) AS retries,
                round(sum(cost_usd_sum), 9) AS cost, sum(unpriced_calls) AS unpriced, sum(input_tokens_sum) AS input_tokens,
                quantilesMerge(0.5, 0.95, 0.99)(latency_ms_q)[2] AS p95
         FROM switchyard.ai_calls_hourly GROUP BY feature ORDER BY feature`,
      );
      assert.deepEqual(got, [
        { feature: 'search', calls: 2, errors: 0, fallbacks: 1, retries: 1, cost: 0.0008245, unpriced: 0, input_tokens: 1010, p95: 1270 },
        { feature: 'summarize', calls: 1, errors: 1, fallbacks: 1, retries: 0, cost: 0, unpriced: 1, input_tokens: 0, p95: 30050 },
        {
          feature: 'support-chat',
          calls: 2,
          errors: 0,
          fallbacks: 0,
          retries: 0,
          cost: 0.0001515,
          unpriced: 0,
          input_tokens: 160,
          p95: 923.5875,
        },
      ]);
    });

    test('the same batch inserted twice lands once, in the ledger and in the rollup', async () => {
      const ctx = { database: 'dedup_check' };
      await migrate(client, ctx);
      // As a server whose default leaves views out of insert dedup (the inserter must turn it on).
      const viewsNotDeduped = {
        exec: (params: Parameters<ClickHouseClient['exec']>[0]) =>
          client.exec({
            ...params,
            clickhouse_settings: { deduplicate_blocks_in_dependent_materialized_views: 0, ...params.clickhouse_settings },
          }),
      } as unknown as ClickHouseClient;
      const insert = makeInserter(viewsNotDeduped, ctx, { asyncInsert: false, paced: kind === 'server' });
      const lines = Object.values(records).map((r) => JSON.stringify(toAiCallRow(r)));
      const batch = makeBatch(1, 'ai_calls', lines);
      await insert(batch);
      await insert(batch);
      await insert(makeBatch(2, 'ai_calls', lines));
      const [count] = await rows<{ n: number; ids: number }>(
        client,
        'SELECT count() AS n, uniqExact(call_id) AS ids FROM dedup_check.ai_calls',
      );
      assert.deepEqual(count, { n: 5, ids: 5 });
      const rollupCalls = async () =>
        (await rows<{ calls: number }>(client, 'SELECT sum(calls) AS calls FROM dedup_check.ai_calls_hourly'))[0]?.calls;
      assert.equal(await rollupCalls(), 5);
      // An insert that stopped after the ledger's part and before the view's: its replay fills the
      // view in, once.
      await client.command({ query: 'TRUNCATE TABLE dedup_check.ai_calls_hourly' });
      await insert(batch);
      await insert(batch);
      assert.equal(await rollupCalls(), 5);
      const [again] = await rows<{ n: number }>(client, 'SELECT count() AS n FROM dedup_check.ai_calls');
      assert.deepEqual(again, { n: 5 });
    });

    test('span ledger: otlp_in documents of the five calls give their rows, field by field; a replay adds nothing', async () => {
      const ctx = { database: 'span_ledger' };
      await migrate(client, ctx);
      // The call ids the recorder makes: UUIDv7 of the call's start (ai_attempts.ts comes from it).
      const calls = Object.values(records).map((r) => ({ ...r, callId: newCallId(r.startedAtMs) }));
      const batch = spanLedgerBatch(calls);
      const insert = makeInserter(client, ctx, { asyncInsert: false, paced: kind === 'server' });
      await insert(batch);
      const ledger = await rows(client, 'SELECT * FROM span_ledger.ai_calls ORDER BY ts, call_id');
      assert.deepEqual(ledger, calls.map(toAiCallRow));
      const attempts = await rows(client, 'SELECT * FROM span_ledger.ai_attempts ORDER BY ts, call_id, attempt_index');
      assert.deepEqual(attempts, calls.flatMap(toAiAttemptRows));
      const counts = async () =>
        (
          await rows<{ c: number; a: number; t: number; h: number }>(
            client,
            `SELECT (SELECT count() FROM span_ledger.ai_calls) AS c, (SELECT count() FROM span_ledger.ai_attempts) AS a,
                    (SELECT count() FROM span_ledger.otel_traces) AS t, (SELECT sum(calls) FROM span_ledger.ai_calls_hourly) AS h`,
          )
        )[0];
      const once = { c: 5, a: 8, t: 13, h: 5 };
      assert.deepEqual(await counts(), once);
      await insert(batch);
      assert.deepEqual(await counts(), once);
      // An insert that stopped after the ledger's part and before the rollup's: its replay fills the rollup in, once.
      await client.command({ query: 'TRUNCATE TABLE span_ledger.ai_calls_hourly' });
      await insert(batch);
      await insert(batch);
      assert.deepEqual(await counts(), once);
    });
  });
}

/** What the sidecar's span ledger sends for these calls: each attempt's CLIENT span, then the SERVER span. */
function spanLedgerBatch(calls: CallRecord[]): Batch {
  const resource = resourceFromAttributes({
    'service.name': RESOURCE.service,
    'k8s.namespace.name': RESOURCE.namespace,
    'k8s.pod.name': RESOURCE.pod,
    'k8s.deployment.name': RESOURCE.workload,
  });
  let batch: Batch | undefined;
  const ledger = new OtlpLedger({
    limits: { maxRows: 10_000, maxBytes: 8 * 1024 * 1024 },
    maxDelayMs: 60_000,
    nextSeq: () => 1,
    runId: 'test',
    submit: (b) => {
      batch = { ...b, body: Buffer.from(bodyBytes(b)) };
    },
    bodies: new BodyPool(),
    missed: () => assert.fail('no span was missed'),
  });
  const span = (r: CallRecord, over: Partial<LeanEndedSpan>): LeanEndedSpan => ({
    sampled: true,
    traceId: r.traceId,
    spanId: r.spanId,
    parentSpanId: undefined,
    traceState: undefined,
    traceStateObject: undefined,
    parentFlags: 0,
    parentRemote: false,
    name: `POST ${r.path}`,
    kind: SpanKind.SERVER,
    startMs: r.startedAtMs,
    endMs: r.startedAtMs + r.latencyMs,
    errorMessage: r.outcome === 'error' ? r.errorType : undefined,
    resource,
    scope: LEAN_SCOPE,
    writeAttributes: (w) => writeCallAttributes(w, 'POST', r.path, r, false, true),
    ...over,
  });
  for (const r of calls) {
    for (const a of r.attempts) {
      const start = {
        operation: r.operation,
        provider: a.provider,
        providerName: a.providerName,
        model: a.model,
        stream: r.streamed,
        serverAddress: a.serverAddress,
        ...(a.serverPort !== undefined ? { serverPort: a.serverPort } : {}),
        startedAtMs: a.startedAtMs,
      };
      const client = span(r, {
        kind: SpanKind.CLIENT,
        spanId: a.spanId ?? '',
        parentSpanId: r.spanId,
        name: `chat ${a.model}`,
        startMs: a.startedAtMs,
        endMs: a.startedAtMs + a.durationMs,
        errorMessage: a.outcome === 'error' ? a.errorType : undefined,
        writeAttributes: (w) => writeAttemptAttributes(w, start, a, r),
      });
      ledger.encode(resource, LEAN_SCOPE, writeLeanSpan, client, false);
    }
    ledger.encode(resource, LEAN_SCOPE, writeLeanSpan, span(r, {}), true);
  }
  ledger.seal();
  assert.ok(batch !== undefined && batch.table === 'otlp_in' && batch.rows === calls.length);
  return batch;
}
