import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ClickHouseClient } from '@clickhouse/client';
import type { CallRecord, CallSink } from '../../src/core/call-record.js';
import { migrate } from '../../src/sinks/clickhouse/migrations.js';
import { makeBatch } from '../../src/sinks/clickhouse/pipeline/batch.js';
import { makeInserter } from '../../src/sinks/clickhouse/pipeline/insert-batch.js';
import { toAiCallInRow } from '../../src/sinks/clickhouse/rows/ai-call-in-row.js';
import { parseClickHouseSettings } from '../../src/sinks/clickhouse/settings.js';
import { type ClickHouseSink, createClickHouseSink } from '../../src/sinks/clickhouse/sink.js';
import type { EndedSpan, EndedSpanSink } from '../../src/telemetry/ended-span.js';
import { type Telemetry, startTelemetry } from '../../src/telemetry/setup.js';
import { BACKENDS, type TestBackend, startBackend } from '../support/clickhouse-server.js';
import { attemptStartOf } from '../support/attempt-start.js';
import { scenarioRecords } from './clickhouse-fixtures.js';

/**
 * The `otel_traces` rows the `ai_calls_in` views build equal, column for column and byte for byte
 * in ClickHouse's own output, the rows the sink writes directly for the same spans: two sinks get
 * the same lean spans and records from the real recorder, one with the views (database `viewed`),
 * one writing every span as a row (`direct`). On the server, `viewed` writes RowBinary; a third
 * sink (`textual`) writes the same rows as JSONCompactEachRow, and every table must come out the same.
 */
for (const kind of BACKENDS) {
  describe(`ClickHouse ai_calls_in views (${kind})`, () => {
    let backend: TestBackend;
    let client: ClickHouseClient;
    let viewed: ClickHouseSink;
    let direct: ClickHouseSink;
    let textual: ClickHouseSink | null = null;
    let telemetry: Telemetry;
    const dirs: string[] = [];
    const logs: string[] = [];

    const open = async (database: string, spanViews: boolean, insert_format: 'auto' | 'JSONCompactEachRow' = 'auto') => {
      const dir = mkdtempSync(join(tmpdir(), 'switchyard-views-'));
      dirs.push(dir);
      const settings = parseClickHouseSettings({ ...backend.connection, database, insert_format, spool: { dir } });
      return createClickHouseSink(settings, { log: (l) => logs.push(l), env: {}, spanViews });
    };

    before(async () => {
      delete process.env.CLICKHOUSE_URL;
      backend = await startBackend(kind);
      client = await backend.client();
      viewed = await open('viewed', true);
      direct = await open('direct', false);
      if (kind === 'server') textual = await open('textual', true, 'JSONCompactEachRow');
      const both: CallSink & EndedSpanSink = {
        name: 'both',
        write: (r) => {
          viewed.write(r);
          direct.write(r);
          textual?.write(r);
        },
        writeSpan: (s: EndedSpan) => {
          viewed.writeSpan(s);
          direct.writeSpan(s);
          textual?.writeSpan(s);
        },
        spanExporter: viewed.spanExporter,
        flush: async () => {
          await viewed.flush();
          await direct.flush();
          await textual?.flush();
        },
        close: async () => undefined,
        health: () => viewed.health(),
      };
      telemetry = await startTelemetry({
        serviceName: 'switchyard',
        captureContent: true,
        sinks: [both],
        spanSinks: [both],
        sinkHealth: () => [],
      });
    });
    after(async () => {
      await telemetry?.shutdown();
      await viewed?.close();
      await direct?.close();
      await textual?.close();
      await backend?.dispose();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    /** Runs a scenario record through the recorder: its spans and its record reach both sinks. */
    const replay = (r: CallRecord, start: { traceparent?: string; tracestate?: string } = {}) => {
      const call = telemetry.recorder.startCall({
        operation: r.operation,
        method: 'POST',
        path: `${r.path}?x=1`,
        startedAtMs: r.startedAtMs,
        ...start,
      });
      const attempts = r.attempts.map((a) => {
        const handle = call.startAttempt(attemptStartOf(a, { operation: r.operation, stream: r.streamed, defaultPort: 443 }));
        const done = { ...a, spanId: handle.spanId };
        handle.end(done);
        return done;
      });
      call.end({ ...r, traceId: call.traceId, spanId: call.spanId, attempts });
    };

    test('the views write the same otel_traces rows as the sink would, and the same ledger', async () => {
      const s = scenarioRecords();
      replay(s.plain);
      replay(s.streamed, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'vendor=a,其他=1' });
      replay(s.retried);
      replay({ ...s.fallback, content: { input: 'hi "there"\n', output: '你好' } });
      replay(s.failure);
      replay(s.plain, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' }); // not sampled
      const sampled = [s.plain, s.streamed, s.retried, s.fallback, s.failure];
      await viewed.flush();
      await direct.flush();
      const text = async (sql: string) => (await client.query({ query: sql, format: 'JSONEachRow' })).text();
      const spans = (db: string) => text(`SELECT * FROM ${db}.otel_traces ORDER BY TraceId, SpanId`);
      const want = await spans('direct');
      assert.equal(want.trim().split('\n').length, sampled.length + sampled.reduce((n, r) => n + r.attempts.length, 0));
      assert.equal(await spans('viewed'), want);
      for (const table of ['ai_calls', 'ai_attempts']) {
        const ledger = (db: string) => text(`SELECT * FROM ${db}.${table} ORDER BY call_id, ts, span_id`);
        assert.equal(await ledger('viewed'), await ledger('direct'));
      }
      // Every sampled span went out inside the viewed sink's ai_calls_in rows.
      assert.equal(viewed.health().spansByViews, want.trim().split('\n').length);
      assert.equal(direct.health().spansByViews, 0);
      assert.deepEqual(logs, []);
    });

    // The embedded chDB takes JSON only (docs/clickhouse.md): this one is the server's.
    if (kind === 'server')
      test('RowBinary rows land as their JSONCompactEachRow text does, in every table', async () => {
        const s = scenarioRecords();
        const long = '模型'.repeat(100); // a length that takes two LEB128 bytes, in three-byte chars
        replay({
          ...s.retried,
          callId: 'call-unicode',
          feature: '客服聊天',
          requestedModel: long,
          errorType: 'tab\there "q"',
          costUsd: 1e-9,
        });
        replay({ ...s.streamed, callId: 'call-odd', latencyMs: Number.NaN }); // RowBinary cannot carry NaN: a JSON batch
        replay({ ...s.fallback, callId: 'call-content', content: { input: 'hi "there"\n', output: '你好' } });
        await viewed.flush();
        await (textual as ClickHouseSink).flush();
        const text = async (sql: string) => (await client.query({ query: sql, format: 'JSONEachRow' })).text();
        const queries = [
          'SELECT * FROM {db}.ai_calls ORDER BY call_id, ts, span_id',
          'SELECT * FROM {db}.ai_attempts ORDER BY call_id, attempt_index',
          'SELECT * FROM {db}.otel_traces ORDER BY TraceId, SpanId',
          // the rollup's parts differ (RowBinary and JSON batches): compare its merged sums
          'SELECT hour, feature, final_provider, final_model, sum(calls), sum(errors), sum(fallbacks), sum(retries), ' +
            'round(sum(cost_usd_sum), 15), sum(input_tokens_sum), sum(output_tokens_sum), round(sum(latency_ms_sum), 6) ' +
            'FROM {db}.ai_calls_hourly GROUP BY ALL ORDER BY ALL',
        ];
        for (const q of queries) {
          const want = await text(q.replace('{db}', 'textual'));
          assert.ok(want.length > 100, `${q}\n${logs.join('\n')}`);
          assert.equal(await text(q.replace('{db}', 'viewed')), want, `${q}\n${logs.join('\n')}`);
        }
        assert.match(await text('SELECT feature FROM viewed.ai_calls'), /客服聊天/);
        const n = await text("SELECT count() AS n FROM viewed.ai_calls WHERE call_id IN ('call-unicode', 'call-odd', 'call-content')");
        assert.equal(JSON.parse(n).n, 3);
        assert.deepEqual(logs, []);
      });

    test('a replayed ai_calls_in_v2 batch adds nothing; a replay after a half-done insert completes it', async () => {
      const ctx = { database: 'replays' };
      await migrate(client, ctx);
      const insert = makeInserter(client, ctx, { asyncInsert: false, paced: kind === 'server' });
      const s = scenarioRecords();
      const lines = [{ ...s.retried, callId: 'replayed' }].map((r) => JSON.stringify(toAiCallInRow(r)));
      const batch = makeBatch(1, 'ai_calls_in_v2', lines);
      const counts = async () =>
        (
          await (
            await client.query({
              query:
                "SELECT (SELECT count() FROM replays.ai_calls WHERE call_id = 'replayed') AS calls, " +
                "(SELECT count() FROM replays.ai_attempts WHERE call_id = 'replayed') AS attempts",
              format: 'JSONEachRow',
            })
          ).json<{ calls: number; attempts: number }>()
        )[0];
      await insert(batch);
      await insert(batch);
      assert.deepEqual(await counts(), { calls: 1, attempts: 2 });
      // As if the server stopped after the ai_calls part and before the ai_attempts part (that part,
      // and its entry in the table's dedup log, never written).
      await client.command({ query: 'TRUNCATE TABLE replays.ai_attempts' });
      assert.deepEqual(await counts(), { calls: 1, attempts: 0 });
      await insert(batch);
      await insert(batch);
      assert.deepEqual(await counts(), { calls: 1, attempts: 2 });
    });

    test('rows in migration 5 layout (sidecars of the previous release, and their spools) still land through ai_calls_in', async () => {
      const ctx = { database: 'layout5' };
      await migrate(client, ctx);
      const insert = makeInserter(client, ctx, { asyncInsert: false, paced: kind === 'server' });
      const s = scenarioRecords();
      // ai_calls_in's span tuples are ai_calls_in_v2's without the trailing bit set
      const v5 = (r: CallRecord) => {
        const row = toAiCallInRow(r) as { span?: unknown[]; attempts: unknown[][] };
        row.span = [false, '', '', '', '1970-01-01 00:00:00.000000000', 0, null, []];
        for (const a of row.attempts) a[a.length - 1] = (a[a.length - 1] as unknown[]).slice(0, -1);
        return JSON.stringify(row);
      };
      await insert(makeBatch(1, 'ai_calls_in', [v5({ ...s.retried, callId: 'old-layout' })]));
      await insert(makeBatch(2, 'ai_calls_in_v2', [JSON.stringify(toAiCallInRow({ ...s.fallback, callId: 'new-layout' }))]));
      const got = await (
        await client.query({
          query:
            'SELECT call_id, (SELECT count() FROM layout5.ai_attempts a WHERE a.call_id = c.call_id) AS attempts FROM layout5.ai_calls c ORDER BY call_id',
          format: 'JSONEachRow',
        })
      ).json<{ call_id: string; attempts: number }>();
      assert.deepEqual(got, [
        { call_id: 'new-layout', attempts: s.fallback.attempts.length },
        { call_id: 'old-layout', attempts: s.retried.attempts.length },
      ]);
    });
  });
}
