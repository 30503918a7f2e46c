import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { RecordBuffer } from '../../../src/sinks/clickhouse/pipeline/record-buffer.js';

/**
 * The sink's record buffer: add() only holds the record; the next turn of the event loop drains
 * what was added (serialization into the batch writers); a seal follows maxDelayMs after the first
 * record since the last seal, or comes at once on seal(). Every record is drained exactly once.
 */
function buffer(maxDelayMs: number) {
  const drained: number[][] = [];
  let seals = 0;
  const b = new RecordBuffer<number>({
    maxDelayMs,
    onDrain: (records) => void drained.push(records),
    onSeal: () => void seals++,
  });
  return { b, drained, seals: () => seals };
}

test('records are drained on the next turn, together, and never twice', async () => {
  const { b, drained, seals } = buffer(60_000);
  b.add(1);
  b.add(2);
  assert.deepEqual(drained, []);
  assert.equal(b.rows, 2);
  await nextTurn();
  assert.deepEqual(drained, [[1, 2]]);
  assert.equal(b.rows, 0);
  b.add(3);
  b.drain();
  b.drain();
  await nextTurn();
  assert.deepEqual(drained, [[1, 2], [3]]);
  assert.equal(seals(), 0);
  b.seal();
  assert.equal(seals(), 1);
});

test('a seal comes maxDelayMs after the first record since the last seal, and drains first', async () => {
  const { b, drained, seals } = buffer(30);
  b.add(1);
  await new Promise((r) => setTimeout(r, 10));
  b.add(2);
  assert.equal(seals(), 0);
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(seals(), 1);
  assert.deepEqual(drained.flat(), [1, 2]);
  // Nothing added since: no timer, no seal.
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(seals(), 1);
  b.add(3);
  b.seal();
  assert.equal(seals(), 2);
  assert.deepEqual(drained.flat(), [1, 2, 3]);
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(seals(), 2);
});
