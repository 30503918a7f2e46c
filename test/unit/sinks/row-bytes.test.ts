import assert from 'node:assert/strict';
import { test } from 'node:test';
import { utf8 } from '../../../src/core/json-bytes.js';
import { RowBytes } from '../../../src/sinks/clickhouse/rows/row-bytes.js';
import { writeDateTime64ms, writeDateTime64ns } from '../../../src/sinks/clickhouse/rows/time-bytes.js';
import { fastDateTime64ns, formatDateTime64ms, formatDateTime64ns } from '../../../src/sinks/clickhouse/rows/time-format.js';

/** What a writer wrote, as bytes. */
function bytesOf(write: (w: RowBytes) => void): Buffer {
  const w = new RowBytes(8); // tiny: every write makes room for itself
  write(w);
  return Buffer.from(w.buf.subarray(0, w.pos));
}

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
  w.bytes(utf8('{"a":1}'));
  w.endRow();
  w.bytes(utf8('{"b":"日本"}'));
  w.endRow();
  assert.equal(w.text(), '{"a":1}\n{"b":"日本"}\n');
  assert.deepEqual(w.rowEnds, [8, 23]);
});
