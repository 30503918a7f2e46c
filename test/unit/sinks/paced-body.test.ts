import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BODY_SLICE_BYTES, pacedBody } from '../../../src/sinks/clickhouse/pipeline/paced-body.js';

/** An insert's body goes to the socket in slices of the body itself, with a loop turn between. */
test('pacedBody: the slices are views of the body, in order, at most BODY_SLICE_BYTES each', async () => {
  const body = Buffer.alloc(3 * BODY_SLICE_BYTES + 123);
  for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
  const slices: Buffer[] = [];
  for await (const s of pacedBody(body)) slices.push(s);
  assert.deepEqual(
    slices.map((s) => s.length),
    [BODY_SLICE_BYTES, BODY_SLICE_BYTES, BODY_SLICE_BYTES, 123],
  );
  assert.ok(Buffer.concat(slices).equals(body));
  // Views, not copies: the same memory at the right offsets.
  slices.forEach((s, i) => {
    assert.equal(s.buffer, body.buffer);
    assert.equal(s.byteOffset, body.byteOffset + i * BODY_SLICE_BYTES);
  });
});

test('pacedBody: other work runs between two slices (a turn of the event loop), not before the first', async () => {
  const order: string[] = [];
  const body = Buffer.alloc(10);
  let turns = 0;
  const tick = () => {
    turns++;
    if (turns < 50) setImmediate(tick);
  };
  setImmediate(tick);
  for await (const s of pacedBody(body, 4)) order.push(`slice ${s.length} after ${turns} turns`);
  assert.deepEqual(order, ['slice 4 after 0 turns', 'slice 4 after 1 turns', 'slice 2 after 2 turns']);
});

test('pacedBody: an empty body is no slices; a body of one slice is itself', async () => {
  const none: Buffer[] = [];
  for await (const s of pacedBody(Buffer.alloc(0))) none.push(s);
  assert.equal(none.length, 0);
  const small = Buffer.from('{"a":1}\n');
  const one: Buffer[] = [];
  for await (const s of pacedBody(small)) one.push(s);
  assert.equal(one.length, 1);
  assert.ok(one[0]?.equals(small));
});

test('pacedBody: a body in parts goes part by part, each part sliced, a turn after every slice size of bytes', async () => {
  const parts = [Buffer.from('ab'), Buffer.from('cdefghij'), Buffer.from('k'), Buffer.alloc(0), Buffer.from('lmn')];
  let turns = 0;
  const tick = () => {
    turns++;
    if (turns < 50) setImmediate(tick);
  };
  setImmediate(tick);
  const out: string[] = [];
  const slices: Buffer[] = [];
  for await (const s of pacedBody(parts, 4)) {
    out.push(`${s.toString()}@${turns}`);
    slices.push(s);
  }
  // 'ab' (2 bytes since the last turn), 'cdef' (6: a turn next), 'ghij' (4: a turn next), 'k', 'lmn'.
  assert.deepEqual(out, ['ab@0', 'cdef@0', 'ghij@1', 'k@2', 'lmn@2']);
  assert.equal(Buffer.concat(slices).toString(), 'abcdefghijklmn');
  // Views of the parts, not copies.
  assert.equal(slices[1]?.buffer, parts[1]?.buffer);
  assert.equal(slices[2]?.byteOffset, (parts[1]?.byteOffset ?? 0) + 4);
});
