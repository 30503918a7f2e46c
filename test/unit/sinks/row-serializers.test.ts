import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AttributeValue, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { CallRecord } from '../../../src/core/call-record.js';
import {
  aiCallInLine,
  toAiCallInRow,
  toAiCallInValues,
  viewKeysMatch,
  writeAiCallInRow,
} from '../../../src/sinks/clickhouse/rows/ai-call-in-row.js';
import { toEndedSpanRow, writeEndedSpanRow } from '../../../src/sinks/clickhouse/rows/ended-span-row.js';
import { serializeOtelSpanRow, toOtelSpanRow } from '../../../src/sinks/clickhouse/rows/otel-span-row.js';
import { RowBytes } from '../../../src/sinks/clickhouse/rows/row-bytes.js';
import { aiCallsInV2ColumnNames } from '../../../src/sinks/clickhouse/ddl/ai-calls-in-v2.js';
import type { CarriedSpan } from '../../../src/sinks/clickhouse/rows/span-derivation.js';
import type { EndedSpan } from '../../../src/telemetry/ended-span.js';
import { scenarioRecords } from '../../integration/clickhouse-fixtures.js';
import { endedSpan } from '../../support/ended-span.js';

// Strings JSON escapes or encodes as several bytes: quotes, backslashes, controls, non-ASCII
// (Chinese feature and model names, emoji), lone surrogates of both kinds, DEL.
const ODD = [
  'plain',
  'with "quotes" and \\ backslash',
  'tab\tnew\nline\u0001\u001f',
  'ünïcödé 日本 🎉',
  '客服聊天',
  '上游错误：模型“通义千问”超时',
  'lone \ud800 high',
  'lone \udc00 low',
  'pair \ud83c\udf89 ok',
  'del \u007f and \u0080',
  '',
];

/** The byte path's lines of one record (each row as written, without its `\n`). */
function byteLines(write: (w: RowBytes) => void): string[] {
  const w = new RowBytes(64); // small: every row makes it grow
  write(w);
  const text = w.text();
  // the bytes are the UTF-8 of the text (no replacement characters for lone surrogates)
  assert.ok(Buffer.from(text).equals(w.buf.subarray(0, w.pos)));
  assert.ok(text.endsWith('\n'));
  // rows end where the newlines are (JSON escapes every newline inside a row)
  const newlines: number[] = [];
  for (let i = 0; i < w.pos; i++) if (w.buf[i] === 10) newlines.push(i + 1);
  assert.deepEqual(w.rowEnds, newlines);
  return text.slice(0, -1).split('\n');
}

const fastCallLines = (r: CallRecord) => byteLines((w) => writeAiCallInRow(w, r));
const slowCallLines = (r: CallRecord) => [aiCallInLine(r)];

function oddRecords(): CallRecord[] {
  const records = Object.values(scenarioRecords());
  const variants: CallRecord[] = [...records];
  for (const [i, s] of ODD.entries()) {
    const base = records[i % records.length] as CallRecord;
    variants.push({
      ...base,
      callId: `id-${s}`,
      feature: s,
      route: s,
      requestedModel: s,
      finalModel: s,
      errorType: s,
      configHash: s,
      resource: { ...base.resource, pod: s },
      startedAtMs: base.startedAtMs + i * 1234.5678,
      latencyMs: i === 0 ? Number.NaN : 1 / 3,
      overheadMs: -0,
      costUsd: i === 1 ? null : 1e-9 * (i + 1),
      fallbackPath: [s, 'openai/gpt-4o', s],
      usage: { inputTokens: 5, reasoningTokens: i, cacheReadTokens: 2 ** 40 },
      attempts: base.attempts.map((a) => ({ ...a, model: s, responseModel: s, errorType: s, startedAtMs: -1.5 + i })),
    });
  }
  return variants;
}

test('ai_calls_in_v2 rows of odd records are byte for byte JSON.stringify of the row values in column order', () => {
  const variants = oddRecords();
  // odd types take the object path, with the same output
  const first = variants[0] as CallRecord;
  variants.push({ ...first, httpStatus: '200' as unknown as number });
  variants.push({ ...first, callId: 5 as unknown as string });
  variants.push({ ...first, traceId: null as unknown as string });
  variants.push({ ...first, attempts: [{ ...first.attempts[0], spanId: 5 } as never] });
  variants.push({ ...first, attempts: [{ ...first.attempts[0], spanId: undefined } as never] });
  variants.push({ ...first, costUsd: undefined as unknown as null });
  variants.push({ ...first, fallbackPath: [1 as unknown as string] });
  variants.push({ ...first, streamed: 1 as unknown as boolean });
  variants.push({ ...first, resource: { ...first.resource, pod: 7 as unknown as string } });
  variants.push({ ...first, attempts: [{ ...first.attempts[0], index: undefined } as never] });
  variants.push({ ...first, attempts: [...first.attempts, { ...first.attempts[0], provider: null } as never] });
  // each record three times in a row: from the third on, runs of repeated columns are copied
  for (let pass = 0; pass < 2; pass++) {
    for (const r of variants) {
      for (let again = 0; again < 3; again++) assert.deepEqual(fastCallLines(r), slowCallLines(r), `${r.callId} (${pass}, ${again})`);
    }
  }
});

test('a record that cannot be serialized throws (the sink drops it whole)', () => {
  const first = Object.values(scenarioRecords())[0] as CallRecord;
  assert.throws(() => writeAiCallInRow(new RowBytes(), { ...first, startedAtMs: Number.NaN }));
  assert.throws(() => writeAiCallInRow(new RowBytes(), { ...first, usage: null as never }));
  assert.throws(() => writeAiCallInRow(new RowBytes(), { ...first, attempts: undefined as never }));
});

test('otel_traces rows of SDK spans are byte for byte JSON.stringify of the row objects', () => {
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

const spanLine = (span: EndedSpan) => byteLines((w) => writeEndedSpanRow(w, span));

test('otel_traces rows of lean spans are byte for byte JSON.stringify of the row objects', () => {
  const spans: EndedSpan[] = [
    endedSpan({}, []),
    endedSpan({ kind: SpanKind.CLIENT, parentSpanId: 'a1a2a3a4a5a6a7a8', name: 'chat 通义千问' }, [['gen_ai.request.model', '通义千问']]),
    endedSpan({ errorMessage: 'upstream "5xx" 超时\n', traceState: 'k=v,其他=1' }, [['error.type', 'upstream_5xx']]),
    endedSpan({ kind: 9 as SpanKind, scope: { name: 'odd "scope"', version: '1.0 🎉' } }, []),
    endedSpan({ endMs: 1_000 }, [['late', 1]]), // ends before it starts: the SDK's start
  ];
  for (const [i, s] of ODD.entries()) {
    spans.push(
      endedSpan({ name: s, errorMessage: s }, [
        ['switchyard.feature', s],
        [s === '' || /^\d/.test(s) ? `k.${i}` : s, s],
        ['n', i / 7],
        ['big', 2 ** 60],
        ['neg', -i],
        ['nan', Number.NaN],
        ['inf', Number.NEGATIVE_INFINITY],
        ['b', i % 2 === 0],
        ['list', ['stop', s]],
        ['plain.list', ['stop', 'length']],
        ['nums', [1, 2.5]],
        ['empty', []],
        ['skipped', undefined],
        ['also.skipped', null],
      ]),
    );
  }
  // keys an object would reorder take the object path
  spans.push(
    endedSpan({}, [
      ['z', 'first'],
      ['0digit', 'second'],
    ]),
  );
  spans.push(endedSpan({}, [['__proto__', 'x']]));
  // odd types take the object path
  spans.push(endedSpan({ name: 5 as unknown as string }, []));
  spans.push(endedSpan({ errorMessage: {} as unknown as string }, []));
  // each span three times in a row: from the third on, repeated key + value pieces are copied
  for (let pass = 0; pass < 2; pass++) {
    for (const span of spans) {
      const want = [JSON.stringify(toEndedSpanRow(span))];
      for (let again = 0; again < 3; again++) assert.deepEqual(spanLine(span), want, `${span.name} (${pass}, ${again})`);
    }
  }
});

test('span attributes: repeated values on one kind of span stay exact when they change', () => {
  const values: AttributeValue[] = ['a', 'a', 'a', 'b', 'b', 1, 1, '1', true, 'true', true, 'a', 'a'];
  for (const v of values) {
    const span = endedSpan({ kind: SpanKind.CONSUMER }, [
      ['first', v],
      ['second', v],
      ['third', typeof v === 'string' ? `${v}!` : v],
    ]);
    assert.deepEqual(spanLine(span), [JSON.stringify(toEndedSpanRow(span))]);
  }
  // a key that comes and goes (time to first chunk on streamed attempts only)
  for (let i = 0; i < 6; i++) {
    const attrs: [string, AttributeValue][] = [['a', 'x']];
    if (i % 2 === 0) attrs.push(['ttfc', 0.25]);
    attrs.push(['status', 200], ['cost', 0.5]);
    const span = endedSpan({ kind: SpanKind.PRODUCER }, attrs);
    assert.deepEqual(spanLine(span), [JSON.stringify(toEndedSpanRow(span))]);
  }
});

test('ai_calls_in_v2 rows are byte for byte JSON.stringify of the row values in column order, with and without spans', () => {
  const base = Object.values(scenarioRecords());
  const odd: CallRecord[] = base.flatMap((r) =>
    ODD.map((s, i) => ({
      ...r,
      callId: `${r.callId}-${i}`,
      feature: s,
      errorType: s,
      attempts: r.attempts.map((a) => ({ ...a, model: s, responseModel: i % 2 ? s : undefined, errorType: s })),
    })),
  );
  const values = (r: CallRecord, i: number): [string, AttributeValue | undefined][] => [
    ['a', r.feature],
    ['n', i / 7],
    ['nan', Number.NaN],
    ['b', i % 2 === 0],
    ['list', ['stop', r.feature]],
    ['skipped', undefined],
  ];
  // what a row carries for a span: its carried values (any types) and its bit set of derived attributes
  const carried = (span: EndedSpan, r: CallRecord, i: number): CarriedSpan => ({
    span,
    set: Math.imul(i, 0x9e3779b1) >>> 7,
    values: values(r, i).map(([, v]) => v ?? null),
  });
  for (const [i, r] of [...base, ...odd].entries()) {
    const call = carried(
      endedSpan({ traceState: i % 3 ? undefined : 'k=v', parentSpanId: i % 2 ? 'a1a2a3a4a5a6a7a8' : undefined }, []),
      r,
      i,
    );
    const attempt = (k: number) =>
      carried(endedSpan({ kind: SpanKind.CLIENT, name: `chat ${r.feature}`, errorMessage: k % 2 ? r.feature : undefined }, []), r, k);
    const cases = [
      undefined,
      { call, attempts: [] },
      { call, attempts: r.attempts.map((_, k) => attempt(k)) },
      { call: undefined, attempts: [undefined, attempt(1)] },
    ];
    for (const spans of cases) {
      const want = [aiCallInLine(r, spans)];
      for (let again = 0; again < 3; again++)
        assert.deepEqual(
          byteLines((w) => writeAiCallInRow(w, r, spans)),
          want,
          `${r.callId}`,
        );
    }
  }
  // odd types take the object path
  const r = base[0] as CallRecord;
  const bad = { ...r, attempts: [{ ...r.attempts[0], durationMs: '5' }] } as unknown as CallRecord;
  assert.deepEqual(
    byteLines((w) => writeAiCallInRow(w, bad)),
    [aiCallInLine(bad)],
  );
});

test('an ai_calls_in_v2 row holds every column of the table, in its order', () => {
  const r = Object.values(scenarioRecords())[0] as CallRecord;
  const call = { span: endedSpan({}, []), set: 5, values: ['b'] };
  // with a span carried, the row object has every column; without, the span columns take defaults
  assert.deepEqual(Object.keys(toAiCallInRow(r, { call, attempts: [] })), aiCallsInV2ColumnNames());
  const values = toAiCallInValues(r);
  assert.equal(values.length, aiCallsInV2ColumnNames().length);
  assert.deepEqual(values.slice(-3, -1), [{}, [false, '', '', '', '1970-01-01 00:00:00.000000000', 0, null, [], 0]]);
  assert.equal(JSON.parse(aiCallInLine(r))[0], r.callId);
});

test('the span attributes the code writes are the keys the ai_calls_in views name', () => {
  // A change to span-attributes.ts needs a migration that replaces the views (ddl/ai-calls-in.ts).
  assert.equal(viewKeysMatch(), true);
});
