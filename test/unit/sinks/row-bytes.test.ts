import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RowBytes, frag } from '../../../src/sinks/clickhouse/rows/row-bytes.js';
import { writeDateTime64ms, writeDateTime64ns } from '../../../src/sinks/clickhouse/rows/time-bytes.js';
import { fastDateTime64ns, formatDateTime64ms, formatDateTime64ns } from '../../../src/sinks/clickhouse/rows/time-format.js';

/** What a writer wrote, as bytes. */
function bytesOf(write: (w: RowBytes) => void): Buffer {
  const w = new RowBytes(8); // tiny: every write makes room for itself
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

test('strings are written as JSON.stringify writes them, in UTF-8', () => {
  for (const s of STRINGS) {
    assert.ok(bytesOf((w) => w.str(s)).equals(Buffer.from(JSON.stringify(s))), JSON.stringify(s));
    assert.ok(bytesOf((w) => w.strContent(s)).equals(Buffer.from(JSON.stringify(s).slice(1, -1))), JSON.stringify(s));
    // after other bytes (the fallback rewinds only its own string)
    assert.ok(
      bytesOf((w) => {
        w.raw(frag('{"k":'));
        w.str(s);
        w.byte(125);
      }).equals(Buffer.from(`{"k":${JSON.stringify(s)}}`)),
    );
  }
});

test('plain() takes printable ASCII without quotes or backslashes, and nothing else', () => {
  for (const s of STRINGS) {
    const w = new RowBytes(8);
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

test('numbers: JSON.stringify for columns, String for attribute values, remembered or not', () => {
  const values = [...NUMBERS];
  for (let i = 0; i < 20_000; i++) {
    values.push((Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 50 - 25), Math.random(), Math.floor(Math.random() * 1e12));
  }
  // twice: the second pass reads the texts remembered on the first
  for (let pass = 0; pass < 2; pass++) {
    for (const v of values) {
      assert.equal(bytesOf((w) => w.num(v)).toString(), JSON.stringify(v), String(v));
      assert.equal(bytesOf((w) => w.numString(v)).toString(), String(v), String(v));
    }
  }
});

test('times are written as formatDateTime64ms and formatDateTime64ns give them, and throw as they do', () => {
  for (const ms of [
    0, 1.9, -1, -0.5, -1001, 1_700_000_000_123.75, 1_700_000_000_999, 1_700_000_001_000, 253402300799999, -62198755200000,
  ]) {
    assert.equal(bytesOf((w) => writeDateTime64ms(w, ms)).toString(), formatDateTime64ms(ms), String(ms));
  }
  // years past 9999 and non-numbers take the original formatting
  assert.equal(bytesOf((w) => writeDateTime64ms(w, 253402300800000)).toString(), formatDateTime64ms(253402300800000));
  assert.equal(
    bytesOf((w) => writeDateTime64ms(w, '2024-05-01' as unknown as number)).toString(),
    formatDateTime64ms('2024-05-01' as never),
  );
  assert.throws(() => writeDateTime64ms(new RowBytes(), Number.NaN));
  assert.throws(() => writeDateTime64ms(new RowBytes(), Number.POSITIVE_INFINITY));
  for (const t of [
    [0, 0],
    [1_700_000_000, 5],
    [1_700_000_000, 999_999_999],
    [1_700_000_001, 120_000_000],
    [-5, 12],
    [1_700_000_000, 1_000_000_000],
    [1_700_000_000, 5.5],
    [1_700_000_000.5, 0],
    [253402300800, 0],
  ] as [number, number][]) {
    assert.equal(bytesOf((w) => writeDateTime64ns(w, t)).toString(), formatDateTime64ns(t), String(t));
    assert.equal(fastDateTime64ns(t), formatDateTime64ns(t), String(t));
  }
});

test('rows end with a newline and are counted where they end', () => {
  const w = new RowBytes(4);
  w.raw(frag('{"a":1}'));
  w.endRow();
  w.raw(frag('{"b":"日本"}'));
  w.endRow();
  assert.equal(w.toString(), '{"a":1}\n{"b":"日本"}\n');
  assert.deepEqual(w.rowEnds, [8, 23]);
});
