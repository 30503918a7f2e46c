import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { CallRecord } from '../../../src/core/call-record.js';
import { BatchWriter, type Batch, makeBatch, newRunId } from '../../../src/sinks/clickhouse/pipeline/batch.js';
import { serializeAiAttemptRows, toAiAttemptRows } from '../../../src/sinks/clickhouse/rows/ai-attempt-rows.js';
import { serializeAiCallRow, toAiCallRow } from '../../../src/sinks/clickhouse/rows/ai-call-row.js';
import { serializeOtelSpanRow, toOtelSpanRow } from '../../../src/sinks/clickhouse/rows/otel-span-row.js';
import {
  fastDateTime64ms,
  fastDateTime64ns,
  formatDateTime64ms,
  formatDateTime64ns,
} from '../../../src/sinks/clickhouse/rows/time-format.js';
import { scenarioRecords } from '../../integration/clickhouse-fixtures.js';

const ODD = ['plain', 'with "quotes" and \\ backslash', 'tab\tnew\nline\u0001', 'ünïcödé 日本 🎉', 'lone \ud800 surrogate', ''];

function fastCallLines(r: CallRecord): string[] {
  const ts = fastDateTime64ms(r.startedAtMs);
  const attempts: string[] = [];
  serializeAiAttemptRows(r, ts, attempts);
  return [serializeAiCallRow(r, ts), ...attempts];
}
const slowCallLines = (r: CallRecord) => [JSON.stringify(toAiCallRow(r)), ...toAiAttemptRows(r).map((row) => JSON.stringify(row))];

test('ledger rows are byte for byte JSON.stringify of the row objects', () => {
  const records = Object.values(scenarioRecords());
  const variants: CallRecord[] = [...records];
  for (const [i, s] of ODD.entries()) {
    const base = records[i % records.length] as CallRecord;
    variants.push({
      ...base,
      callId: `id-${s}`,
      feature: s,
      errorType: s,
      startedAtMs: base.startedAtMs + i * 1234.5678,
      latencyMs: i === 0 ? Number.NaN : 1 / 3,
      costUsd: i === 1 ? null : 1e-9 * (i + 1),
      fallbackPath: [s, 'openai/gpt-4o'],
      usage: { inputTokens: 5, reasoningTokens: i },
      attempts: base.attempts.map((a) => ({ ...a, model: s, responseModel: s, startedAtMs: -1.5 + i })),
    });
  }
  // odd types take the original path, with the same output
  variants.push({ ...(records[0] as CallRecord), httpStatus: '200' as unknown as number });
  variants.push({ ...(records[0] as CallRecord), costUsd: undefined as unknown as null });
  variants.push({ ...(records[0] as CallRecord), fallbackPath: [1 as unknown as string] });
  variants.push({ ...(records[0] as CallRecord), attempts: [{ ...(records[0] as CallRecord).attempts[0], index: undefined } as never] });
  for (const r of variants) assert.deepEqual(fastCallLines(r), slowCallLines(r));
});

test('fast timestamps equal the original formatting', () => {
  for (const ms of [0, 1.9, -1, -0.5, -1001, 1_700_000_000_123.75, 1_700_000_000_999, 253402300799999]) {
    assert.equal(fastDateTime64ms(ms), formatDateTime64ms(ms), String(ms));
  }
  assert.throws(() => fastDateTime64ms(Number.NaN));
  for (const t of [
    [0, 0],
    [1_700_000_000, 5],
    [1_700_000_000, 999_999_999],
    [-5, 12],
  ] as [number, number][]) {
    assert.equal(fastDateTime64ns(t), formatDateTime64ns(t));
  }
});

test('otel_traces rows are byte for byte JSON.stringify of the row objects', () => {
  const memory = new InMemorySpanExporter();
  const resource = resourceFromAttributes({
    'service.name': 'switchyard',
    'process.command_args': ['node', 'x "y"'],
    'host.arch': 'amd64',
    pid: 7,
  });
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('switchyard', '1.2.3');
  const server = tracer.startSpan('POST /v1/chat/completions', { kind: SpanKind.SERVER, startTime: 1_700_000_000_123.5 });
  for (const [i, s] of ODD.entries()) {
    server.setAttribute(`attr.${i}`, s);
    server.setAttribute(`num.${i}`, i / 7);
  }
  server.setAttribute('bool', true);
  server.setAttribute('list', ['a', 'b"c']);
  server.addEvent('an "event"', { k: 'v', n: 1 }, 1_700_000_000_200);
  server.addLink({
    context: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 },
    attributes: { l: 'x' },
  });
  server.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream "5xx"' });
  server.end(1_700_000_000_523.25);
  const client = tracer.startSpan('chat gpt-4o-mini', { kind: SpanKind.CLIENT, attributes: { '0digit': 'first', z: 'last' } });
  client.end();
  const odd = tracer.startSpan(ODD.join('|'), { kind: SpanKind.INTERNAL });
  odd.end();
  for (const span of memory.getFinishedSpans()) assert.equal(serializeOtelSpanRow(span), JSON.stringify(toOtelSpanRow(span)));
});

test('BatchWriter bodies equal makeBatch bodies and respect max_rows and max_bytes', () => {
  const lines = Array.from({ length: 25 }, (_, i) => JSON.stringify({ i, pad: 'é'.repeat(i * 7) }));
  for (const limits of [
    { maxRows: 1000, maxBytes: 1 << 20 },
    { maxRows: 4, maxBytes: 1 << 20 },
    { maxRows: 1000, maxBytes: 300 },
    { maxRows: 3, maxBytes: 200 },
  ]) {
    const out: Batch[] = [];
    let seq = 10;
    const runId = newRunId();
    const w = new BatchWriter(
      'ai_calls',
      limits,
      () => ++seq,
      runId,
      (b) => out.push(b),
    );
    for (const l of lines) w.add(l);
    w.flush();
    let at = 0;
    for (const b of out) {
      assert.ok(b.rows <= limits.maxRows);
      assert.ok(b.rows === 1 || b.bytes <= limits.maxBytes);
      const expected = makeBatch(b.seq, 'ai_calls', lines.slice(at, at + b.rows));
      assert.deepEqual(b, { ...expected, token: `ai_calls-${runId}-${b.seq}` });
      at += b.rows;
    }
    assert.equal(at, lines.length);
    assert.deepEqual(
      out.map((b) => b.seq),
      out.map((_, i) => 11 + i),
    );
  }
});
