import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AttributeValue, Attributes } from '@opentelemetry/api';
import { hrTimeNanos } from '../../../src/telemetry/lean-otlp/encode-span-json.js';
import { JsonBytes } from '../../../src/telemetry/lean-otlp/json-bytes.js';
import { OtlpAttributeBytes, encodeAttributes } from '../../../src/telemetry/lean-otlp/otlp-attribute-bytes.js';

/**
 * The byte path of the lean OTLP encoder against JSON.stringify: strings (non-ASCII, control
 * characters, quotes, backslashes, lone surrogates, long ones), numbers, nanosecond times and
 * attribute arrays give the bytes `Buffer.from(JSON.stringify(...))` gives.
 */

/** A cursor over a 1-byte buffer, so every write also goes through `grow`. */
const tiny = () => new JsonBytes(Buffer.alloc(1));

const TRICKY = [
  '',
  'plain ascii',
  '客服-聊天',
  '通义千问-max',
  'deepseek-reasoner 深度求索',
  'naïve café',
  '😀 emoji 👩‍💻',
  'quote " and backslash \\ and slash /',
  'line 1\nline 2\r\n\ttab \b\f',
  Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join(''),
  '\u007f del, \u0080 first latin-1 supplement, \u07ff, \u0800, \uffff',
  '\u2028 line separator \u2029 paragraph separator',
  'lone high \ud800 surrogate',
  'lone low \udc00 surrogate',
  'high at the end \udbff',
  '\udfff low at the start',
  'reversed pair \udc00\ud800',
  'pair 𝄞 \ud834\udd1e',
  'x'.repeat(511),
  'é'.repeat(512),
  'ä"\\\n'.repeat(200),
  `${'a'.repeat(600)}\ud800${'中'.repeat(100)}`,
];

test('json-bytes: string() gives the bytes of Buffer.from(JSON.stringify(s))', () => {
  for (const s of TRICKY) {
    const w = tiny();
    w.string(s);
    assert.deepEqual(w.buf.subarray(0, w.pos), Buffer.from(JSON.stringify(s)), JSON.stringify(s).slice(0, 60));
  }
});

test('json-bytes: string() on random UTF-16 (surrogates included), short and long', () => {
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const pools = [0x80, 0x800, 0x10000];
  for (let i = 0; i < 3000; i++) {
    const len = rand(i % 10 === 0 ? 1200 : 40);
    const pool = pools[rand(pools.length)] as number;
    let s = '';
    for (let k = 0; k < len; k++) s += String.fromCharCode(rand(pool));
    const w = tiny();
    w.byte(0x5b);
    w.string(s);
    w.byte(0x5d);
    assert.equal(w.text(), `[${JSON.stringify(s)}]`);
    assert.deepEqual(w.buf.subarray(0, w.pos), Buffer.from(`[${JSON.stringify(s)}]`));
  }
});

test('json-bytes: raw() writes the UTF-8 of a string as it is', () => {
  for (const s of ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', 'ünïcode id', '😀']) {
    const w = tiny();
    w.raw(s);
    assert.deepEqual(w.buf.subarray(0, w.pos), Buffer.from(s));
  }
});

test('json-bytes: int() and number() write what JSON.stringify writes', () => {
  const values = [
    0,
    -0,
    1,
    -1,
    9,
    10,
    99,
    100,
    443,
    18080,
    2 ** 31 - 1,
    2 ** 31,
    -(2 ** 31),
    2 ** 32 + 5,
    1_760_000_000_123,
    2 ** 53 - 1,
    -(2 ** 53 - 1),
    2 ** 53,
    2 ** 53 + 2,
    1e21,
    -1e21,
    1e300,
    0.1,
    -1.5,
    0.0012,
    (100 * 1.5e-7 + 30 * 6e-7) / 7, // a cost: 17 significant digits
    1e-7,
    5e-324,
    Number.MAX_VALUE,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
  ];
  for (const v of values) {
    const w = tiny();
    w.number(v);
    assert.equal(w.text(), JSON.stringify(v), `number(${v})`);
    if (Number.isInteger(v)) {
      const i = tiny();
      i.int(v);
      assert.equal(i.text(), JSON.stringify(v), `int(${v})`);
    }
  }
  for (let k = 0; k < 2000; k++) {
    const v = Math.floor(Math.random() * 2 ** (k % 54)) * (k % 2 ? -1 : 1);
    const w = tiny();
    w.int(v);
    assert.equal(w.text(), JSON.stringify(v));
  }
});

test('json-bytes: nanos() writes hrTimeNanos for the times millisToHrTime gives, and refuses the rest', () => {
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

test('json-bytes: nanos() on one writer: seconds that repeat, change and change width, nanos of every size', () => {
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
    const w = new JsonBytes(buf);
    out.begin(w);
    for (const [k, v] of entries) out.attr(k, v);
    out.end();
    assert.equal(w.text(), expected(entries), `span ${i}`);
    buf.fill(0x78); // what the next batch would write there
  }
});

test('json-bytes: number() gives String(v) for random doubles of every magnitude, and repeats', () => {
  const f64 = new Float64Array(1);
  const u32 = new Uint32Array(f64.buffer);
  const w = new JsonBytes(Buffer.alloc(1));
  for (let t = 0; t < 30_000; t++) {
    let v: number;
    if (t % 3 === 0) {
      u32[0] = (Math.random() * 2 ** 32) >>> 0;
      u32[1] = (Math.random() * 2 ** 32) >>> 0;
      v = f64[0] as number;
    } else if (t % 3 === 1) v = Math.random() * 10 ** (Math.floor(Math.random() * 44) - 22);
    else v = -Math.floor(Math.random() * 1e6) * 10 ** (Math.floor(Math.random() * 30) - 15);
    const at = w.pos;
    w.number(v);
    assert.equal(w.text(at), JSON.stringify(v));
    if (t % 7 === 0) {
      const again = w.pos;
      w.number(v);
      assert.equal(w.text(again), JSON.stringify(v));
    }
  }
  for (const v of [
    1e-7,
    1.5e-7,
    1e-6,
    1.5e-6,
    1e-6 * (1 - 2 ** -52), // just below 1e-6: exponential form
    0.5,
    0.05,
    123.456,
    1e21,
    1.5e21,
    1e20 + 0.5,
    2 ** 53 + 2,
    -2.5e-300,
  ]) {
    const at = w.pos;
    w.number(v);
    assert.equal(w.text(at), JSON.stringify(v), String(v));
  }
});
