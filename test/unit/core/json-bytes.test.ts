import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toMicros } from '../../../src/core/clock.js';
import { JsonBytes, utf8 } from '../../../src/core/json-bytes.js';

/**
 * The one JSON byte writer (used by the lean OTLP encoder and the ClickHouse row writers) against
 * JSON.stringify: strings (non-ASCII, control characters, quotes, backslashes, lone surrogates, long
 * ones), with and without their quotes, and numbers give the bytes `Buffer.from(JSON.stringify(...))`
 * gives; numberString() gives String(v).
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

/** The next double above a positive finite `v`. */
function nextUp(v: number): number {
  const f = new Float64Array([v]);
  const b = new BigUint64Array(f.buffer);
  b[0] = (b[0] as bigint) + 1n;
  return f[0] as number;
}

test('json-bytes: number() gives String(v) for durations to the microsecond and values next to them', () => {
  const w = new JsonBytes(Buffer.alloc(1));
  const check = (v: number) => {
    const at = w.pos;
    w.number(v);
    assert.equal(w.text(at), JSON.stringify(v), String(v));
  };
  for (let t = 0; t < 50_000; t++) {
    // Integers of µs of every magnitude up to past 1e15, as ms: the path of three decimals and its edge.
    const micros = Math.floor(Math.random() * 10 ** (1 + (t % 16)));
    const v = toMicros(micros / 1000);
    check(v);
    check(v + 2 ** -40); // not three decimals: toExponential()
    check(nextUp(v));
  }
  for (const v of [
    0.001,
    0.01,
    0.1,
    0.999,
    1,
    9.999,
    10.01,
    999_999_999_999.999,
    1e12 - 0.001,
    1e12,
    1e12 + 0.001,
    4.1e11 + 0.1,
    0.0005,
    0.0015,
  ]) {
    check(v);
    check(-v);
  }
});

test('clock: toMicros() rounds ms to the microsecond, and the result reads back as three decimals', () => {
  assert.equal(toMicros(12.668457), 12.668);
  assert.equal(toMicros(0.0004), 0);
  assert.equal(toMicros(0.0005), 0.001);
  assert.equal(toMicros(1234.5678), 1234.568);
  for (let t = 0; t < 10_000; t++) {
    const ms = Math.random() * 10 ** ((t % 9) - 2);
    const v = toMicros(ms);
    assert.ok(Math.abs(v - ms) <= 0.0005 + 1e-9, `${ms} → ${v}`);
    assert.ok(String(v).split('.')[1] === undefined || (String(v).split('.')[1] as string).length <= 3, String(v));
  }
});

/** What a writer wrote, as bytes. */
function bytesOf(write: (w: JsonBytes) => void): Buffer {
  const w = new JsonBytes(Buffer.alloc(8)); // tiny: every write makes room for itself
  write(w);
  return Buffer.from(w.buf.subarray(0, w.pos));
}

// Every code unit class JSON treats differently, alone and inside longer strings.
const STRINGS = [
  '',
  'a',
  'plain ascii with spaces ~',
  '"',
  '\\',
  'say "hi" \\ bye',
  '\u0000\u0001\b\t\n\f\r\u001f',
  '\u007f',
  '\u0080é',
  '客服聊天',
  '模型“通义千问”超时：上游返回 503',
  '🎉',
  '\ud800',
  '\udfff',
  'x\ud800y\udc00z',
  '\udc00\ud800',
  '\ud83c\udf89\ud83c',
  'a'.repeat(5000),
  `${'日本'.repeat(2000)}"`,
];

test('json-bytes: string() and stringContent() are written as JSON.stringify writes them, in UTF-8', () => {
  for (const s of STRINGS) {
    assert.ok(bytesOf((w) => w.string(s)).equals(Buffer.from(JSON.stringify(s))), JSON.stringify(s));
    assert.ok(bytesOf((w) => w.stringContent(s)).equals(Buffer.from(JSON.stringify(s).slice(1, -1))), JSON.stringify(s));
    // after other bytes (the fallback rewinds only its own string)
    assert.ok(
      bytesOf((w) => {
        w.bytes(utf8('{"k":'));
        w.string(s);
        w.byte(125);
      }).equals(Buffer.from(`{"k":${JSON.stringify(s)}}`)),
    );
  }
});

test('json-bytes: plain() takes printable ASCII without quotes or backslashes, and nothing else', () => {
  for (const s of STRINGS) {
    const w = new JsonBytes(Buffer.alloc(8));
    const plain = w.plain(s);
    assert.equal(plain, JSON.stringify(s) === `"${s}"` && !/[^\u0020-\u007f]/.test(s), JSON.stringify(s));
    assert.equal(w.pos, plain ? s.length : 0);
  }
});

const NUMBERS = [
  0,
  -0,
  1,
  7,
  10,
  99,
  100,
  200,
  18080,
  2 ** 31,
  2 ** 32 + 1,
  2 ** 53 - 1,
  2 ** 53,
  2 ** 60,
  1e21,
  1e21 + 2 ** 20,
  -1,
  -12345,
  0.5,
  -0.5,
  1 / 3,
  0.1 + 0.2,
  0.000027,
  1e-6,
  1e-7,
  1.5e-7,
  -1e-7,
  123e-20,
  5e-324,
  2.2250738585072014e-308,
  -2.2250738585072014e-308,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.EPSILON,
  412.25,
  0.13024846913781735,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];

test('json-bytes: number() is JSON.stringify, numberString() is String, remembered or not', () => {
  const values = [...NUMBERS];
  for (let i = 0; i < 20_000; i++) {
    values.push((Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 50 - 25), Math.random(), Math.floor(Math.random() * 1e12));
  }
  // twice: the second pass reads the texts remembered on the first
  for (let pass = 0; pass < 2; pass++) {
    for (const v of values) {
      assert.equal(bytesOf((w) => w.number(v)).toString(), JSON.stringify(v), String(v));
      assert.equal(bytesOf((w) => w.numberString(v)).toString(), String(v), String(v));
    }
  }
});
