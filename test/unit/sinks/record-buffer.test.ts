import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { RecordBuffer } from '../../../src/sinks/clickhouse/pipeline/record-buffer.js';

/**
 * The sink's record buffer: add() only holds the record; what was added is drained (serialized
 * into the batch writers) drainEveryMs after the first record since the last drain, or on the next
 * turn of the event loop once drainAtRecords wait; a seal follows maxDelayMs after the first record
 * since the last seal, or comes at once on seal(). Every record is drained exactly once.
 */
function buffer(maxDelayMs: number, drainEveryMs = 20, drainAtRecords = 3) {
  const drained: number[][] = [];
  let seals = 0;
  const b = new RecordBuffer<number>({
    maxDelayMs,
    drainEveryMs,
    drainAtRecords,
    onDrain: (records) => void drained.push(records),
    onSeal: () => void seals++,
  });
  return { b, drained, seals: () => seals };
}

test('records are drained drainEveryMs after the first, together, and never twice', async () => {
  const { b, drained, seals } = buffer(60_000);
  b.add(1);
  b.add(2);
  assert.deepEqual(drained, []);
  assert.equal(b.rows, 2);
  await nextTurn();
  assert.deepEqual(drained, [], 'fewer than drainAtRecords wait for the timer');
  await new Promise((r) => setTimeout(r, 40));
  assert.deepEqual(drained, [[1, 2]]);
  assert.equal(b.rows, 0);
  b.add(3);
  b.drain();
  b.drain();
  await new Promise((r) => setTimeout(r, 40));
  assert.deepEqual(drained, [[1, 2], [3]], 'a drain by hand clears the timer: nothing drains twice');
  assert.equal(seals(), 0);
  b.seal();
  assert.equal(seals(), 1);
});

test('drainAtRecords waiting records drain on the next turn, without the timer', async () => {
  const { b, drained } = buffer(60_000, 60_000, 3);
  b.add(1);
  b.add(2);
  await nextTurn();
  assert.deepEqual(drained, []);
  b.add(3);
  assert.deepEqual(drained, [], 'not on the request path: add() never serializes');
  await nextTurn();
  assert.deepEqual(drained, [[1, 2, 3]]);
  b.add(4);
  await nextTurn();
  assert.deepEqual(drained, [[1, 2, 3]]);
  b.drain();
  assert.deepEqual(drained, [[1, 2, 3], [4]]);
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
