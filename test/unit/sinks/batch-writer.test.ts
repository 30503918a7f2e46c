import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Batch, bodyBytes, TOKEN_PATTERN, makeBatch, newRunId } from '../../../src/sinks/clickhouse/pipeline/batch.js';
import { BatchWriter, ROW_HEADROOM } from '../../../src/sinks/clickhouse/pipeline/batch-writer.js';
import { BodyPool } from '../../../src/sinks/clickhouse/pipeline/body-pool.js';

function writer(limits: { maxRows: number; maxBytes: number }, out: Batch[], bodies = new BodyPool()) {
  let seq = 10;
  const runId = newRunId();
  return {
    runId,
    w: new BatchWriter({ table: 'ai_calls', limits, nextSeq: () => ++seq, runId, submit: (b) => out.push(b), bodies }),
  };
}

const LIMITS = [
  { maxRows: 1000, maxBytes: 1 << 20 },
  { maxRows: 4, maxBytes: 1 << 20 },
  { maxRows: 1000, maxBytes: 300 },
  { maxRows: 3, maxBytes: 200 },
  { maxRows: 1, maxBytes: 1024 },
];

/** Checks the batches against the lines they must hold, in order, within the limits. */
function checkBatches(out: Batch[], lines: string[], limits: { maxRows: number; maxBytes: number }, runId: string): void {
  let at = 0;
  for (const [i, b] of out.entries()) {
    assert.equal(b.seq, 11 + i);
    checkBatch(b, lines.slice(at, at + b.rows), limits, runId);
    at += b.rows;
  }
  assert.equal(at, lines.length);
}

/** One batch: its rows, within the limits, with its token. */
function checkBatch(b: Batch, lines: string[], limits: { maxRows: number; maxBytes: number }, runId: string): void {
  assert.ok(b.rows >= 1 && b.rows <= limits.maxRows);
  assert.ok(b.rows === 1 || b.bytes <= limits.maxBytes, `${b.bytes} bytes in ${b.rows} rows`);
  assert.ok(bodyBytes(b).equals(bodyBytes(makeBatch(b.seq, 'ai_calls', lines))));
  assert.equal(b.bytes, bodyBytes(b).length);
  assert.equal(b.token, `ai_calls-${runId}-${b.seq}`);
  assert.match(b.token, TOKEN_PATTERN);
}

test('one-row records: bodies are the lines joined, within max_rows and max_bytes', () => {
  const lines = Array.from({ length: 25 }, (_, i) => JSON.stringify({ i, pad: 'é'.repeat(i * 7) }));
  for (const limits of LIMITS) {
    const out: Batch[] = [];
    const { w, runId } = writer(limits, out);
    for (const l of lines) w.add(l);
    assert.equal(w.rows, lines.length - out.reduce((n, b) => n + b.rows, 0));
    w.flush();
    assert.equal(w.rows, 0);
    checkBatches(out, lines, limits, runId);
  }
});

test('records of several rows: the limits apply row by row; a rolled-back record leaves nothing', () => {
  const lines: string[] = [];
  for (const limits of LIMITS) {
    lines.length = 0;
    const out: Batch[] = [];
    const { w, runId } = writer(limits, out);
    for (let r = 0; r < 30; r++) {
      w.begin();
      const rows = 1 + (r % 4);
      const mine: string[] = [];
      for (let k = 0; k < rows; k++) {
        const line = JSON.stringify({ r, k, pad: 'x'.repeat((r * 13 + k * 7) % 90) });
        w.out.native(line);
        w.out.endRow();
        mine.push(line);
      }
      if (r % 5 === 3) {
        w.rollback(); // as when a record throws half-way: none of its rows stay
        continue;
      }
      w.commit();
      lines.push(...mine);
    }
    w.flush();
    checkBatches(out, lines, limits, runId);
  }
});

test('large batches: the buffer is handed over as the body; bodies held stay intact while memory given back is reused', () => {
  const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ i, pad: `${'é'.repeat(i % 700)}${'x'.repeat(2000)}` }));
  for (const limits of [
    { maxRows: 1000, maxBytes: 1 << 20 },
    { maxRows: 150, maxBytes: 4 << 20 },
  ]) {
    const out: Batch[] = [];
    const pool = new BodyPool(4);
    const { w, runId } = writer(limits, out, pool);
    const held: Batch[] = [];
    for (const [i, l] of lines.entries()) {
      w.begin();
      w.out.native(l);
      w.out.endRow();
      w.commit();
      // delivery is done with every other batch as soon as it is out: its memory comes back
      if (i % 50 === 0) {
        for (const b of out.splice(0)) {
          if (b.seq % 2 === 0) pool.give(b.body as Buffer);
          held.push(b);
        }
      }
    }
    w.flush();
    held.push(...out);
    // batches given back may have been overwritten since; the others must read as they were sealed
    let at = 0;
    for (const b of held) {
      if (b.seq % 2 === 1) checkBatch(b, lines.slice(at, at + b.rows), limits, runId);
      at += b.rows;
    }
    assert.equal(at, lines.length);
    assert.ok(held.some((b) => b.bytes >= 256 * 1024));
  }
});

test('bodies: large ones reuse memory given back, small ones and foreign ones are left alone', () => {
  const pool = new BodyPool(2);
  const small = pool.take(1000);
  assert.equal(small.length, 1000);
  const a = pool.take(300 * 1024);
  const b = pool.take(300 * 1024);
  assert.equal(a.length, 300 * 1024);
  assert.notEqual(a.buffer, b.buffer, 'bodies in use never share memory');
  pool.give(small);
  pool.give(Buffer.alloc(400 * 1024)); // not from the pool
  pool.give(a);
  pool.give(a); // twice: ignored
  const c = pool.take(290 * 1024);
  assert.equal(c.buffer, a.buffer, 'memory given back is reused');
  assert.equal(c.length, 290 * 1024);
  const d = pool.take(290 * 1024);
  assert.notEqual(d.buffer, a.buffer, 'memory given back twice is reused once');
  assert.notEqual(d.buffer, b.buffer);
  const e = pool.take(2 << 20);
  assert.ok(e.buffer.byteLength >= 2 << 20, 'a larger body than any free memory gets new memory');
});

test('steady state: the buffer stays at max_bytes + ROW_HEADROOM and full bodies leave without a copy', () => {
  const limits = { maxRows: 100_000, maxBytes: 1 << 20 };
  const out: Batch[] = [];
  const bodies = new BodyPool();
  const { w, runId } = writer(limits, out, bodies);
  const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(2000) }));
  let checked = 0;
  let rowsChecked = 0;
  let handedOver = 0;
  const checkNew = (memory: ArrayBufferLike | undefined) => {
    for (const b of out.slice(checked)) {
      checkBatch(b, lines.slice(rowsChecked, rowsChecked + b.rows), limits, runId);
      // A full body is the memory the rows were written into, not a copy of it.
      if (memory !== undefined && (b.body as Buffer).buffer === memory) handedOver++;
      rowsChecked += b.rows;
      bodies.give(b.body as Buffer);
    }
    checked = out.length;
  };
  for (const l of lines) {
    const memory = w.out.buf.buffer;
    w.add(l);
    checkNew(memory);
    assert.ok(w.out.buf.length <= limits.maxBytes + ROW_HEADROOM, `buffer ${w.out.buf.length}`);
  }
  w.flush();
  checkNew(undefined);
  assert.equal(rowsChecked, lines.length);
  assert.ok(checked >= 5, `${checked} bodies`);
  // Every body but the last (the flush) was a full buffer handed over.
  assert.equal(handedOver, checked - 1);
});

test('a row larger than the headroom still fits: the buffer grows for it', () => {
  const limits = { maxRows: 1000, maxBytes: 1 << 20 };
  const out: Batch[] = [];
  const { w, runId } = writer(limits, out);
  const lines = [JSON.stringify({ pad: 'a'.repeat((1 << 20) - 100) }), JSON.stringify({ pad: 'b'.repeat(2 * ROW_HEADROOM) }), '{"c":1}'];
  for (const l of lines) w.add(l);
  w.flush();
  checkBatches(out, lines, limits, runId);
});
