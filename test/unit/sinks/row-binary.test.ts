import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type AttributeValue, SpanKind } from '@opentelemetry/api';
import type { CallRecord } from '../../../src/core/call-record.js';
import { aiCallsInV2Columns } from '../../../src/sinks/clickhouse/ddl/ai-calls-in-v2.js';
import { type Batch, bodyBytes } from '../../../src/sinks/clickhouse/pipeline/batch.js';
import { writeAiCallInBinaryRow } from '../../../src/sinks/clickhouse/rows/ai-call-in-binary.js';
import { type AiCallInSpans, toAiCallInValues } from '../../../src/sinks/clickhouse/rows/ai-call-in-row.js';
import { dateTime64ns } from '../../../src/sinks/clickhouse/rows/binary-values.js';
import { RowBytes } from '../../../src/sinks/clickhouse/rows/row-bytes.js';
import {
  countRowBinaryRows,
  elementType,
  parseColumns,
  readRowBinary,
  splitType,
} from '../../../src/sinks/clickhouse/rows/row-binary-reader.js';
import { parseClickHouseSettings } from '../../../src/sinks/clickhouse/settings.js';
import { createClickHouseSink } from '../../../src/sinks/clickhouse/sink.js';
import type { CarriedSpan } from '../../../src/sinks/clickhouse/rows/span-derivation.js';
import type { EndedSpan } from '../../../src/telemetry/ended-span.js';
import { scenarioRecords } from '../../integration/clickhouse-fixtures.js';
import { endedSpan } from '../../support/ended-span.js';

const COLUMNS = parseColumns(aiCallsInV2Columns());

/** A DateTime64 text as ClickHouse reads it (`YYYY-MM-DD hh:mm:ss[.fff…]`, UTC): its ticks. */
function ticks(text: string, scale: number): bigint {
  const seconds = BigInt(Date.parse(`${text.slice(0, 19).replace(' ', 'T')}Z`) / 1000);
  const fraction = (text.slice(20) || '').padEnd(scale, '0');
  return seconds * 10n ** BigInt(scale) + BigInt(fraction || '0');
}

/**
 * A value of the JSONCompactEachRow reference row (`toAiCallInValues`) as RowBinary must hold it
 * for ClickHouse to store the same thing: the reader's shape (row-binary-reader.ts) of the value the
 * server parses from the JSON text.
 */
function asStored(type: string, v: unknown): unknown {
  const { name, args } = splitType(type);
  const [first, second] = args as [string, string];
  switch (name) {
    case 'LowCardinality':
      return asStored(first, v);
    case 'Nullable':
      return v === null ? null : asStored(first, v);
    case 'Array':
      return (v as unknown[]).map((e) => asStored(first, e));
    case 'Tuple':
      return args.map((a, i) => asStored(elementType(a), (v as unknown[])[i]));
    case 'Map':
      return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, asStored(second, x)]));
    case 'DateTime64':
      return ticks(v as string, Number(first));
    case 'Float64':
      return (v as number) + 0; // the JSON text of -0 is 0
    case 'String':
    case 'Bool':
    case 'UInt16':
    case 'UInt32':
    case 'UInt64':
      return v;
    default:
      throw new Error(`no reference conversion for ${type}`);
  }
}

const expected = (r: CallRecord, spans?: AiCallInSpans) => COLUMNS.map((c, i) => asStored(c.type, toAiCallInValues(r, spans)[i]));

// Strings of every UTF-8 width and every length-prefix width (1, 2 and 3 bytes).
const STRINGS = [
  'plain',
  'del \u007f and \u0080 ñ',
  'with "quotes" \\ and \t\n\u0001',
  'ünïcödé 日本 🎉',
  '客服聊天',
  'x'.repeat(127),
  'y'.repeat(128),
  '日'.repeat(6000),
  '',
];

function variants(): CallRecord[] {
  const base = Object.values(scenarioRecords());
  const out: CallRecord[] = [...base];
  for (const [i, s] of STRINGS.entries()) {
    const r = base[i % base.length] as CallRecord;
    out.push({
      ...r,
      callId: `id-${i}`,
      feature: s,
      requestedModel: s,
      errorType: i % 2 ? s : undefined,
      resource: { ...r.resource, pod: s },
      startedAtMs: r.startedAtMs + i * 1234.5678,
      latencyMs: 1 / 3,
      overheadMs: -0,
      timeToFirstChunkMs: i % 3 ? 0.125 : undefined,
      costUsd: i === 1 ? null : 1e-9 * (i + 1),
      fallbackPath: i === 2 ? [] : [s, 'openai/gpt-4o', s],
      usage: { inputTokens: 5, reasoningTokens: i, cacheReadTokens: 2 ** 40, outputTokens: Number.MAX_SAFE_INTEGER },
      attempts: r.attempts.map((a) => ({
        ...a,
        model: s,
        responseModel: i % 2 ? s : undefined,
        errorType: s,
        usage: i % 2 ? undefined : a.usage,
      })),
    });
  }
  return out;
}

function spanCases(r: CallRecord, i: number): (AiCallInSpans | undefined)[] {
  // Numbers and one-reason arrays change from row to row and repeat within a row (their text is kept from the last).
  const values: (AttributeValue | null)[] = [
    r.feature,
    i / 7,
    Number.NaN,
    i % 2 === 0,
    ['stop', r.feature],
    null,
    [r.feature],
    8080 + (i % 2),
    [i % 3 ? 'stop' : 'length'],
    -0,
  ];
  const carried = (span: EndedSpan, k: number): CarriedSpan => ({ span, set: Math.imul(k, 0x9e3779b1) >>> 7, values });
  const call = carried(endedSpan({ traceState: i % 3 ? undefined : 'k=v', parentSpanId: i % 2 ? 'a1a2a3a4a5a6a7a8' : undefined }), i);
  const attempt = (k: number) =>
    carried(
      endedSpan({
        kind: SpanKind.CLIENT,
        name: `chat ${r.feature}`,
        errorMessage: k % 2 ? r.feature : undefined,
        endMs: 1_700_000_000_000,
      }),
      k,
    );
  return [
    undefined,
    { call, attempts: [] },
    { call, attempts: r.attempts.map((_, k) => attempt(k)) },
    { call: undefined, attempts: [undefined, attempt(1)] },
  ];
}

test('RowBinary ai_calls_in_v2 rows hold what ClickHouse stores from the JSONCompactEachRow rows, value for value', () => {
  const w = new RowBytes(64); // small: rows make it grow
  const want: unknown[][] = [];
  for (const [i, r] of variants().entries()) {
    for (const spans of spanCases(r, i)) {
      assert.equal(writeAiCallInBinaryRow(w, r, spans), true, r.callId);
      want.push(expected(r, spans));
    }
  }
  const body = w.buf.subarray(0, w.pos);
  const rows = readRowBinary(COLUMNS, body);
  assert.equal(rows.length, want.length);
  for (const [i, row] of rows.entries()) assert.deepEqual(row, want[i], `row ${i}`);
  // rows end where the reader says they end; the counter agrees
  assert.equal(w.rowEnds.length, want.length);
  assert.equal(w.rowEnds.at(-1), w.pos);
  assert.equal(countRowBinaryRows(COLUMNS, body), want.length);
  assert.equal(countRowBinaryRows(COLUMNS, body.subarray(0, w.rowEnds[2])), 3);
  assert.throws(() => countRowBinaryRows(COLUMNS, body.subarray(0, w.pos - 1)), /RowBinary: \d+ bytes needed/);
});

test('a record RowBinary cannot carry as the JSON text would writes nothing and says so', () => {
  const first = Object.values(scenarioRecords())[1] as CallRecord;
  const a0 = first.attempts[0];
  const odd: CallRecord[] = [
    { ...first, latencyMs: Number.NaN },
    { ...first, overheadMs: Number.POSITIVE_INFINITY },
    { ...first, feature: 'lone \ud800 high' },
    { ...first, route: 'lone \udc00 low'.repeat(20) },
    { ...first, httpStatus: '200' as unknown as number },
    { ...first, httpStatus: 70_000 },
    { ...first, retryCount: 1.5 },
    { ...first, callId: 5 as unknown as string },
    { ...first, traceId: null as unknown as string },
    { ...first, costUsd: undefined as unknown as null },
    { ...first, fallbackPath: [1 as unknown as string] },
    { ...first, fallbackPath: 'a>b' as unknown as string[] },
    { ...first, streamed: 1 as unknown as boolean },
    { ...first, startedAtMs: -1 },
    { ...first, startedAtMs: Date.UTC(2200, 0, 1) },
    { ...first, usage: { inputTokens: 1.5 } },
    { ...first, usage: { inputTokens: 2 ** 53 } },
    { ...first, usage: { inputTokens: -1 } },
    { ...first, usage: null as never },
    { ...first, resource: { ...first.resource, pod: 7 as unknown as string } },
    { ...first, attempts: undefined as never },
    { ...first, attempts: [null as never] },
    { ...first, attempts: [{ ...a0, spanId: 5 } as never] },
    { ...first, attempts: [{ ...a0, index: undefined } as never] },
    { ...first, attempts: [{ ...a0, httpStatus: -1 } as never] },
    { ...first, attempts: [{ ...a0, costUsd: undefined } as never] },
    { ...first, attempts: [{ ...a0, durationMs: '5' } as never] },
  ];
  const w = new RowBytes(64);
  assert.equal(writeAiCallInBinaryRow(w, first), true);
  const pos = w.pos;
  for (const [i, r] of odd.entries()) {
    assert.equal(writeAiCallInBinaryRow(w, r), false, `odd record ${i}`);
    assert.equal(w.pos, pos, `odd record ${i} left bytes`);
    assert.equal(w.bad, false);
  }
  // a span the text path writes differently takes the JSON path too
  const lone: AiCallInSpans = { call: { span: endedSpan({ name: 'bad \ud800' }), set: 0, values: [] }, attempts: [] };
  assert.equal(writeAiCallInBinaryRow(w, first, lone), false);
  assert.equal(w.rowEnds.length, 1);
});

test('DateTime64(9) ticks are seconds * 1e9 + nanos, exactly, past 2^53', () => {
  const w = new RowBytes(16);
  let seed = 7;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const times: [number, number][] = [
    [0, 0],
    [0, 999_999_999],
    [65_535, 999_999_999],
    [65_536, 0],
    [1_700_000_000, 123_456_789],
    [7_258_118_399, 999_999_999],
  ];
  for (let i = 0; i < 10_000; i++) times.push([Math.floor(random() * 7_258_118_400), Math.floor(random() * 1e9)]);
  for (const [sec, ns] of times) {
    w.pos = 0;
    dateTime64ns(w, sec, ns);
    assert.equal(w.bad, false);
    assert.equal(w.buf.readBigInt64LE(0), BigInt(sec) * 1_000_000_000n + BigInt(ns), `${sec}.${ns}`);
  }
  for (const bad of [
    [-1, 0],
    [7_258_118_400, 0],
    [1, 1e9],
    [1.5, 0],
  ] as [number, number][]) {
    w.bad = false;
    dateTime64ns(w, bad[0], bad[1]);
    assert.equal(w.bad, true, `${bad}`);
  }
});

test('the RowBinary reader reads the types by their ClickHouse names', () => {
  const columns = parseColumns(
    [
      'a UInt64,',
      'b Nullable(String),',
      "c Array(Tuple(x LowCardinality(String), t DateTime64(3, 'UTC'))),",
      'd Map(LowCardinality(String), String),',
      'e Int32,',
      'f Bool',
    ].join('\n'),
  );
  const body = Buffer.concat([
    Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), // 2^63 - 1
    Buffer.from([1]), // NULL
    Buffer.from([1, 2, 0x68, 0x69]),
    Buffer.from([0x10, 0, 0, 0, 0, 0, 0, 0]),
    Buffer.from([1, 1, 0x6b, 0x81, 0x01, ...Buffer.alloc(129, 0x76)]), // a 2-byte length
    Buffer.from([0xfe, 0xff, 0xff, 0xff]),
    Buffer.from([1]),
  ]);
  assert.deepEqual(readRowBinary(columns, body), [[2n ** 63n - 1n, null, [['hi', 16n]], { k: 'v'.repeat(129) }, -2, true]]);
  assert.equal(countRowBinaryRows(columns, Buffer.concat([body, body])), 2);
  assert.throws(
    () => parseColumns('z Decimal(9, 2)').length && readRowBinary(parseColumns('z Decimal(9, 2)'), Buffer.alloc(8)),
    /unsupported type/,
  );
});

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function captureSink(over: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'ch-rowbinary-'));
  dirs.push(dir);
  const batches: Batch[] = [];
  const logs: string[] = [];
  const sink = await createClickHouseSink(parseClickHouseSettings({ spool: { dir }, ...over }), {
    log: (l) => logs.push(l),
    env: {},
    insert: async (b) => {
      batches.push({ ...b, body: Buffer.from(bodyBytes(b)) }); // the body's memory is reused after
    },
  });
  return { sink, batches, logs };
}

test('the sink writes RowBinary to a server, and a record RowBinary cannot carry as JSONCompactEachRow', async () => {
  const { sink, batches } = await captureSink({ url: 'http://127.0.0.1:1' });
  const good = Object.values(scenarioRecords());
  const odd = { ...(good[0] as CallRecord), callId: 'odd', latencyMs: Number.NaN };
  for (const r of good) sink.write(r);
  sink.write(odd);
  await sink.flush();
  const binary = batches.filter((b) => b.format === 'RowBinary');
  const json = batches.filter((b) => b.format === 'JSONCompactEachRow');
  assert.equal(binary.length, 1);
  assert.equal(binary[0]?.rows, good.length);
  assert.deepEqual(
    readRowBinary(COLUMNS, binary[0]?.body as Buffer),
    good.map((r) => expected(r)),
  );
  assert.equal(json.length, 1);
  assert.equal(json[0]?.rows, 1);
  assert.equal(JSON.parse(json[0]?.body.toString() as string)[0], 'odd');
  assert.equal(sink.health().spoolDroppedTotal, 0);
  await sink.close();
});

test('the embedded ClickHouse, and insert_format JSONCompactEachRow, get JSONCompactEachRow', async () => {
  for (const over of [{ path: join(tmpdir(), 'never-opened') }, { url: 'http://127.0.0.1:1', insert_format: 'JSONCompactEachRow' }]) {
    const { sink, batches } = await captureSink(over);
    for (const r of Object.values(scenarioRecords())) sink.write(r);
    await sink.flush();
    assert.deepEqual(
      batches.map((b) => b.format),
      ['JSONCompactEachRow'],
    );
    await sink.close();
  }
  const { sink, logs } = await captureSink({ insert_format: 'RowBinary' });
  assert.match(logs.join('\n'), /embedded ClickHouse cannot take RowBinary/);
  await sink.close();
});

test('a spooled RowBinary batch is never sent to the embedded chDB: refused, then moved to rejected/', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ch-rowbinary-spool-'));
  dirs.push(dir);
  const w = new RowBytes(1024);
  const r = Object.values(scenarioRecords())[0] as CallRecord;
  assert.equal(writeAiCallInBinaryRow(w, r), true);
  const body = Buffer.from(w.buf.subarray(0, w.pos));
  const name = '000000000000001.ai_calls_in_v2.1.ai_calls_in_v2-0123456789abcdef-1.rowbinary';
  writeFileSync(join(dir, name), body);
  const logs: string[] = [];
  const sink = await createClickHouseSink(parseClickHouseSettings({ path: join(dir, 'never-opened'), spool: { dir } }), {
    log: (l) => logs.push(l),
    env: {},
  });
  assert.equal(sink.health().spooled, 1);
  for (let i = 0; i < 3; i++) await sink.flush(); // each flush retries the spool's head at once
  assert.equal(sink.health().spooled, 0);
  assert.equal(sink.health().rejectedRows, 1);
  assert.deepEqual(readdirSync(join(dir, 'rejected')), [name]);
  assert.ok(readFileSync(join(dir, 'rejected', name)).equals(body), 'the batch is kept as it was');
  assert.match(logs.join('\n'), /embedded ClickHouse takes no RowBinary/);
  assert.equal(existsSync(join(dir, 'never-opened')), false, 'chDB was never opened');
  await sink.close();
});
