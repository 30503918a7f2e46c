import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { CallRecord } from '../../../src/core/call-record.js';
import type { SinkTable } from '../../../src/sinks/clickhouse/pipeline/batch.js';
import { toAiAttemptRows } from '../../../src/sinks/clickhouse/rows/ai-attempt-rows.js';
import { toAiCallRow } from '../../../src/sinks/clickhouse/rows/ai-call-row.js';
import { aiCallInLine } from '../../../src/sinks/clickhouse/rows/ai-call-in-row.js';
import { ATTEMPT_FIELDS } from '../../../src/sinks/clickhouse/ddl/ai-calls-in.js';
import { aiCallsInV2ColumnNames } from '../../../src/sinks/clickhouse/ddl/ai-calls-in-v2.js';
import { toEndedSpanRow } from '../../../src/sinks/clickhouse/rows/ended-span-row.js';
import { parseClickHouseSettings } from '../../../src/sinks/clickhouse/settings.js';
import { createClickHouseSink } from '../../../src/sinks/clickhouse/sink.js';
import type { EndedSpan } from '../../../src/telemetry/ended-span.js';
import { startTelemetry } from '../../../src/telemetry/setup.js';
import { scenarioRecords } from '../../integration/clickhouse-fixtures.js';
import { attemptStartOf } from '../../support/attempt-start.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function openSink(maxRows = 2000) {
  const dir = mkdtempSync(join(tmpdir(), 'ch-sink-unit-'));
  dirs.push(dir);
  const lines: Record<SinkTable, string[]> = {
    otlp_in: [],
    ai_calls_in_v2: [],
    ai_calls_in: [],
    ai_calls: [],
    ai_attempts: [],
    otel_traces: [],
  };
  const tokens = new Set<string>();
  const logs: string[] = [];
  const sink = await createClickHouseSink(
    // JSONCompactEachRow: these tests read the rows as text (row-binary.test.ts covers RowBinary)
    parseClickHouseSettings({
      url: 'http://127.0.0.1:1',
      insert_format: 'JSONCompactEachRow',
      // The row path (the span ledger's writer has tests of its own, otlp-ledger.test.ts).
      ledger_source: 'rows',
      spool: { dir },
      batch: { max_rows: maxRows },
    }),
    {
      log: (l) => logs.push(l),
      insert: async (b) => {
        // the body is ours until this promise settles: read it now
        const text = b.body.toString('utf8');
        assert.ok(text.endsWith('\n'));
        // ai_calls_in_v2 rows are arrays of values in column order; other tables' rows are objects
        assert.equal(b.format, b.table === 'ai_calls_in_v2' ? 'JSONCompactEachRow' : undefined);
        assert.equal(b.bytes, b.body.length);
        assert.ok(!tokens.has(b.token), 'every batch has its own token');
        tokens.add(b.token);
        lines[b.table].push(...text.slice(0, -1).split('\n'));
        assert.equal(text.slice(0, -1).split('\n').length, b.rows);
      },
    },
  );
  return { sink, lines, logs };
}

const records = () => Object.values(scenarioRecords());

/** An `ai_calls_in_v2` line (JSONCompactEachRow) as an object keyed by column. */
function callInRow(line: string): Record<string, unknown> {
  const values = JSON.parse(line) as unknown[];
  const columns = aiCallsInV2ColumnNames();
  assert.equal(values.length, columns.length);
  return Object.fromEntries(columns.map((c, i) => [c, values[i]]));
}

/**
 * The ledger rows the sink inserted are those of the records written, in order: one `ai_calls_in_v2`
 * row each, holding the record's `ai_calls` row and, per attempt, its `ai_attempts` row's values.
 */
function assertLedger(lines: Record<SinkTable, string[]>, written: CallRecord[]): void {
  assert.deepEqual(
    lines.ai_calls_in_v2,
    written.map((r) => aiCallInLine(r)),
  );
  assert.deepEqual(lines.ai_calls, []);
  assert.deepEqual(lines.ai_attempts, []);
  for (const [i, line] of lines.ai_calls_in_v2.entries()) {
    const { resource_attributes, span, attempts, ...call } = callInRow(line) as { attempts: unknown[][] } & Record<string, unknown>;
    const r = written[i] as CallRecord;
    assert.deepEqual(call, toAiCallRow(r));
    assert.deepEqual(
      attempts.map((a: unknown[]) => a.slice(0, -1)),
      toAiAttemptRows(r).map((row) => ATTEMPT_FIELDS.map((f) => row[f as keyof typeof row])),
    );
    // no span rides along: an empty resource, and a span tuple the views skip (view false)
    assert.deepEqual(resource_attributes, {});
    assert.deepEqual(span, [false, '', '', '', '1970-01-01 00:00:00.000000000', 0, null, [], 0]);
  }
}

function chinese(r: CallRecord): CallRecord {
  return {
    ...r,
    callId: `${r.callId}-中文`,
    feature: '客服聊天',
    requestedModel: '通义千问-max',
    errorType: '上游“超时”\n',
    attempts: r.attempts.map((a) => ({ ...a, model: '通义千问-max', errorType: 'lone \ud800' })),
  };
}

test('records become ledger rows; a record that cannot be serialized is dropped whole and counted', async () => {
  const { sink, lines, logs } = await openSink();
  const good = records();
  const [first, second] = good as [CallRecord, CallRecord];
  const written: CallRecord[] = [];
  for (const r of good) {
    sink.write(r);
    written.push(r);
  }
  sink.write({ ...first, callId: 'bad-time', startedAtMs: Number.NaN }); // both rows would throw
  sink.write({ ...second, callId: 'bad-attempts', attempts: undefined as never }); // the call row alone would not
  for (const r of good.map(chinese)) {
    sink.write(r);
    written.push(r);
  }
  await sink.flush();
  assertLedger(lines, written);
  assert.equal(sink.health().spoolDroppedTotal, 2);
  assert.equal(logs.filter((l) => l.includes('cannot serialize call')).length, 2);
  await sink.close();
});

test('rows of many records split into batches of max_rows, in order, each with its own token', async () => {
  const { sink, lines } = await openSink(7);
  const written: CallRecord[] = [];
  for (let i = 0; i < 40; i++) {
    for (const r of records()) {
      const one = i % 3 === 0 ? chinese(r) : { ...r, callId: `${r.callId}-${i}` };
      sink.write(one);
      written.push(one);
    }
  }
  await sink.flush();
  assertLedger(lines, written);
  await sink.close();
});

test('lean spans become otel_traces rows', async () => {
  const { sink, lines } = await openSink();
  const resource = resourceFromAttributes({ 'service.name': 'switchyard', 'k8s.pod.name': '商店-7d9f' });
  const span = (name: string, attrs: [string, string | number | boolean][]): EndedSpan => ({
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    parentSpanId: 'a1a2a3a4a5a6a7a8',
    traceState: undefined,
    name,
    kind: SpanKind.CLIENT,
    startMs: 1_700_000_000_123.25,
    endMs: 1_700_000_000_523.5,
    errorMessage: name.includes('超时') ? '上游超时' : undefined,
    resource,
    scope: { name: 'switchyard' },
    writeAttributes(w) {
      for (const [k, v] of attrs) w.attr(k, v);
    },
  });
  const spans = [
    span('chat gpt-4o-mini', [
      ['gen_ai.request.model', 'gpt-4o-mini'],
      ['gen_ai.usage.input_tokens', 12],
    ]),
    span('chat 通义千问 超时', [
      ['gen_ai.request.model', '通义千问'],
      ['gen_ai.request.stream', true],
    ]),
  ];
  for (const s of spans) sink.writeSpan(s);
  await sink.flush();
  assert.deepEqual(
    lines.otel_traces,
    spans.map((s) => JSON.stringify(toEndedSpanRow(s))),
  );
  await sink.close();
});

test('lean spans ride in their call row; spans of calls in flight at a flush, that do not match their record, or that the views cannot rebuild, are rows of their own', async () => {
  const { sink, lines } = await openSink();
  const telemetry = await startTelemetry({
    serviceName: 'switchyard',
    captureContent: false,
    sinks: [sink],
    spanSinks: [sink],
    sinkHealth: () => [],
  });
  const s = scenarioRecords();
  const run = (r: CallRecord, opts: { wrongAttemptId?: boolean; startModel?: string } = {}) => {
    const call = telemetry.recorder.startCall({ operation: 'chat', method: 'POST', path: r.path, startedAtMs: r.startedAtMs });
    const a = r.attempts[0] as CallRecord['attempts'][number];
    const handle = call.startAttempt({ ...attemptStartOf(a), model: opts.startModel ?? a.model });
    const attempt = { ...a, spanId: opts.wrongAttemptId ? 'ffffffffffffffff' : handle.spanId };
    handle.end(attempt);
    const end = () => call.end({ ...r, traceId: call.traceId, spanId: call.spanId, attempts: [attempt] });
    return { end, attemptSpanId: handle.spanId, callSpanId: call.spanId };
  };
  const a = run({ ...s.plain, callId: 'carried' });
  a.end();
  const b = run({ ...s.plain, callId: 'in-flight' });
  await sink.flush(); // b's attempt span is still parked: it goes out as a row now
  b.end();
  const c = run({ ...s.plain, callId: 'mismatch' }, { wrongAttemptId: true });
  c.end();
  // the views print a cost of 1e21 as `1e21`, where the span has `1e+21`: that SERVER span is a row
  const d = run({ ...s.plain, callId: 'unprintable', costUsd: 1e21 });
  d.end();
  // the attempt asked for another model than its record names: the views would write the record's
  const e = run({ ...s.plain, callId: 'other-model' }, { startModel: 'gpt-4o' });
  e.end();
  await sink.flush();
  const rows = lines.ai_calls_in_v2.map((l) => callInRow(l) as { call_id: string; span: [boolean]; attempts: [boolean][][] });
  const carried = rows.map((r) => [r.call_id, r.span[0] === true, (r.attempts[0]?.at(-1) as [boolean])[0]]);
  assert.deepEqual(carried, [
    ['carried', true, true],
    ['in-flight', true, false],
    ['mismatch', true, false],
    ['unprintable', false, true],
    ['other-model', true, false],
  ]);
  const own = lines.otel_traces.map((l) => JSON.parse(l) as { SpanId: string; SpanKind: string });
  assert.deepEqual(
    own.map((r) => [r.SpanId, r.SpanKind]),
    [
      [b.attemptSpanId, 'SPAN_KIND_CLIENT'],
      [c.attemptSpanId, 'SPAN_KIND_CLIENT'],
      [d.callSpanId, 'SPAN_KIND_SERVER'],
      [e.attemptSpanId, 'SPAN_KIND_CLIENT'],
    ],
  );
  // ten spans, each written once: six by the views, four as rows
  assert.equal(sink.health().spansByViews, 6);
  await telemetry.shutdown();
  await sink.close();
});
