import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AttributeValue, Attributes } from '@opentelemetry/api';
import { hrTimeNanos } from '../../../src/telemetry/lean-otlp/encode-span-json.js';
import { OtlpAttributeBytes, encodeAttributes } from '../../../src/telemetry/lean-otlp/otlp-attribute-bytes.js';
import { SpanBytes } from '../../../src/telemetry/lean-otlp/span-bytes.js';

/**
 * The lean OTLP encoder's own writes (core/json-bytes.ts is tested beside it): nanosecond times
 * and attribute arrays give the bytes `Buffer.from(JSON.stringify(...))` gives.
 */

/** A cursor over a 1-byte buffer, so every write also goes through `grow`. */
const tiny = () => new SpanBytes(Buffer.alloc(1));

test('span-bytes: nanos() writes hrTimeNanos for the times millisToHrTime gives, and refuses the rest', () => {
  const times: Array<[number, number]> = [
    [0, 0],
    [0, 5],
    [0, 999_999_999],
    [1, 0],
    [1_760_000_000, 123_375_000],
    [1_760_000_000, 7],
    [1_760_000_000, 999_999_999],
    [99_999_999_999, 1],
  ];
  for (const [s, ns] of times) {
    const w = tiny();
    assert.equal(w.nanos(s, ns), true);
    assert.equal(w.text(), hrTimeNanos([s, ns]));
  }
  for (const [s, ns] of [
    [-1, 0],
    [0, -1],
    [1, 1e9],
    [1.5, 0],
    [1, 0.5],
    [Number.NaN, 0],
  ] as Array<[number, number]>) {
    const w = tiny();
    assert.equal(w.nanos(s, ns), false);
    assert.equal(w.pos, 0);
  }
});

test('span-bytes: nanos() on one writer: seconds that repeat, change and change width, nanos of every size', () => {
  const w = tiny();
  const seconds = [1_760_000_000, 1_760_000_000, 1_760_000_001, 999_999_999, 1_000_000_000, 1, 1, 0, 12_345_678_901, 1_760_000_001];
  for (const s of seconds) {
    for (const ns of [0, 1, 999, 1000, 999_999, 1_000_000, 123_456_789, 999_999_999, Math.floor(Math.random() * 1e9)]) {
      const at = w.pos;
      assert.equal(w.nanos(s, ns), true);
      assert.equal(w.text(at), hrTimeNanos([s, ns]), `${s} ${ns}`);
    }
  }
});

/** What an OTLP AnyValue is in JSON, built with JSON.stringify. */
function anyValue(v: AttributeValue | null | undefined): string {
  if (typeof v === 'string') return `{"stringValue":${JSON.stringify(v)}}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `{"intValue":${JSON.stringify(v)}}` : `{"doubleValue":${JSON.stringify(v)}}`;
  if (typeof v === 'boolean') return `{"boolValue":${v}}`;
  if (Array.isArray(v)) return `{"arrayValue":{"values":[${v.map((x) => anyValue(x)).join(',')}]}}`;
  return '{}';
}

const expected = (entries: Array<[string, AttributeValue | null | undefined]>) =>
  `[${entries.map(([k, v]) => `{"key":${JSON.stringify(k)},"value":${anyValue(v)}}`).join(',')}]`;

const ATTRIBUTES: Attributes = {
  'switchyard.feature': '客服-聊天',
  'gen_ai.request.model': '通义千问-max',
  'error.type': 'bad "quote" \\ \n\u0001 \ud800',
  '键 "k"': 'v',
  'gen_ai.request.stream': true,
  'x.false': false,
  'gen_ai.usage.input_tokens': 120,
  'switchyard.cost_usd': 0.0012,
  'x.nan': Number.NaN,
  'gen_ai.response.finish_reasons': ['stop', '长度', 'a"b'],
  'x.numbers': [1, 2.5, -3],
  // Not a valid AttributeValue (mixed types), but what the encoder must still write as the SDK does.
  'x.mixed': [true, null, undefined, 'ü'] as unknown as AttributeValue,
  'x.empty': [],
  'x.undefined': undefined,
};

test('attribute bytes: an Attributes object gives the JSON.stringify-built OTLP array', () => {
  assert.equal(encodeAttributes(ATTRIBUTES), expected(Object.entries(ATTRIBUTES)));
  assert.equal(encodeAttributes({}), '[]');
  assert.equal(encodeAttributes({ only: '中' }), '[{"key":"only","value":{"stringValue":"中"}}]');
});

test('attribute bytes: attributes one at a time skip null and undefined; keys changing at a position', () => {
  const out = new OtlpAttributeBytes();
  const run = (entries: Array<[string, AttributeValue | null | undefined]>) => {
    const w = tiny();
    out.begin(w);
    for (const [k, v] of entries) out.attr(k, v);
    out.end();
    assert.equal(w.text(), expected(entries.filter(([, v]) => v != null)));
    assert.deepEqual(w.buf.subarray(0, w.pos), Buffer.from(expected(entries.filter(([, v]) => v != null))));
  };
  const all = Object.entries(ATTRIBUTES);
  run(all);
  run(all); // the same keys at the same positions: the remembered heads
  run(all.slice().reverse());
  run([
    ['a', null],
    ['b', undefined],
  ]);
  run([
    ['a', null],
    ['b', '中'],
    ['c', undefined],
    ['d', true],
  ]);
  run([]);
  // Values that repeat are copied as kept bytes from the third time on: the same output, also when
  // the attribute before comes and goes (first or not), the key at a position changes, or numbers
  // and booleans repeat.
  const b: Array<[string, AttributeValue | null | undefined]> = [
    ['a', null],
    ['b', '客服'],
    ['c', 443],
    ['d', true],
    ['e', 0.25],
  ];
  const withA: Array<[string, AttributeValue | null | undefined]> = [['a', 'x'], ...b.slice(1)];
  for (const entries of [b, b, b, b, withA, withA, withA, b, b, b, withA, b]) run(entries);
  const otherKey: Array<[string, AttributeValue | null | undefined]> = [['a', null], ['z', '客服'], ...b.slice(2)];
  for (const entries of [otherKey, otherKey, otherKey, b, b, b]) run(entries);
  run([['n', -0]]);
  run([['n', 0]]);
  run([['n', 0]]);
  run([['n', -0]]);
  run([['n', Number.NaN]]);
  run([['n', Number.NaN]]);
  run([['n', Number.NaN]]);
  for (let i = 0; i < 3; i++) run([['long', `${'内容 '.repeat(100)}`]]);
});

test('attribute bytes: kept bytes are copies, not views of the buffer they were written in', () => {
  // The batch buffer is reused once posted: write every span over the same bytes.
  const out = new OtlpAttributeBytes();
  const buf = Buffer.alloc(4096);
  const entries: Array<[string, AttributeValue]> = [
    ['http.request.method', 'POST'],
    ['server.port', 443],
    ['gen_ai.request.stream', true],
  ];
  for (let i = 0; i < 5; i++) {
    const w = new SpanBytes(buf);
    out.begin(w);
    for (const [k, v] of entries) out.attr(k, v);
    out.end();
    assert.equal(w.text(), expected(entries), `span ${i}`);
    buf.fill(0x78); // what the next batch would write there
  }
});
