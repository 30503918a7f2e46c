import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type Batch, batchToken, dedupToken, makeBatch, newRunId } from '../../../src/sinks/clickhouse/pipeline/batch.js';
import { Spool } from '../../../src/sinks/clickhouse/pipeline/spool.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'spool-unit-'));
  dirs.push(d);
  return d;
};
const batch = (seq: number, rows: number) =>
  makeBatch(
    seq,
    'ai_calls',
    Array.from({ length: rows }, (_, i) => JSON.stringify({ call_id: `${seq}-${i}`, pad: 'x'.repeat(100) })),
  );

test('a batch reads back with the same body and dedup token, in seq order, across a restart', async () => {
  const dir = tempDir();
  const spool = new Spool(dir, 1 << 20, () => {});
  const b3 = batch(3, 2);
  const b1 = batch(1, 5);
  await spool.append(b3);
  await spool.append(b1);
  assert.deepEqual([spool.size, spool.rows, spool.head()?.seq], [2, 7, 1]);
  writeFileSync(join(dir, '000000000000009.ai_calls.1.jsonl.tmp'), 'half-written');
  const reopened = new Spool(dir, 1 << 20, () => {});
  assert.deepEqual([reopened.size, reopened.rows, reopened.maxSeq], [2, 7, 3]);
  assert.ok(!readdirSync(dir).some((f) => f.endsWith('.tmp')), 'temp files from a crash are removed');
  const head = reopened.head();
  assert.ok(head);
  const back = await reopened.read(head);
  assert.deepEqual(back, b1);
  await reopened.remove(head);
  assert.equal(reopened.head()?.seq, 3);
  assert.deepEqual(await reopened.read(reopened.head() ?? head), b3);
});

test('when full, the oldest batches are dropped, counted and logged', async () => {
  const dir = tempDir();
  const logs: string[] = [];
  const one = batch(1, 10);
  const spool = new Spool(dir, one.bytes * 3 + 10, (l) => logs.push(l));
  for (let seq = 1; seq <= 5; seq++) await spool.append(batch(seq, 10));
  assert.deepEqual([spool.size, spool.rows, spool.droppedRows, spool.head()?.seq], [3, 30, 20, 3]);
  assert.equal(logs.length, 2);
  assert.match(
    logs[1] as string,
    /spool full \(\d+ bytes\): dropped the oldest ai_calls batch; 10 rows lost \(spool_dropped_rows_total=20\)/,
  );
  await spool.append(batch(6, 100));
  assert.equal(spool.droppedRows, 120, 'a batch larger than the whole spool is dropped itself');
  assert.equal(spool.size, 3);
});

test('a batch keeps its token across a restart (in the file name); old files replay with the body hash', async () => {
  const dir = tempDir();
  const runId = newRunId();
  const body = Buffer.from('{"call_id":"a"}\n{"call_id":"b"}\n');
  const batch: Batch = { seq: 7, table: 'ai_attempts', rows: 2, body, bytes: body.length, token: batchToken('ai_attempts', runId, 7) };
  await new Spool(dir, 1 << 20, () => {}).append(batch);
  assert.deepEqual(readdirSync(dir), [`000000000000007.ai_attempts.2.ai_attempts-${runId}-7.jsonl`]);
  // a file spooled by an older version: no token in its name
  writeFileSync(join(dir, '000000000000003.ai_calls.1.jsonl'), '{"call_id":"old"}\n');
  const reopened = new Spool(dir, 1 << 20, () => {});
  assert.deepEqual([reopened.size, reopened.rows, reopened.maxSeq], [2, 3, 7]);
  const old = reopened.head();
  assert.ok(old);
  const oldBatch = await reopened.read(old);
  assert.equal(oldBatch.token, dedupToken('ai_calls', Buffer.from('{"call_id":"old"}\n')));
  assert.equal(oldBatch.seq, 3);
  await reopened.remove(old);
  const next = reopened.head();
  assert.ok(next);
  assert.deepEqual(await reopened.read(next), batch);
});

test('JSONCompactEachRow and RowBinary batches keep their format across a restart (in the file name)', async () => {
  const dir = tempDir();
  const runId = newRunId();
  const body = Buffer.from('["a",1]\n["b",2]\n');
  const token = batchToken('ai_calls_in_v2', runId, 4);
  const compact: Batch = { seq: 4, table: 'ai_calls_in_v2', rows: 2, body, bytes: body.length, token, format: 'JSONCompactEachRow' };
  const plain = batch(5, 1);
  const binBody = Buffer.from([1, 0x61, 0x0a, 0, 0xff, 1, 0x62]); // bytes no text format would hold
  const binToken = batchToken('ai_calls_in_v2', runId, 6);
  const binary: Batch = {
    seq: 6,
    table: 'ai_calls_in_v2',
    rows: 2,
    body: binBody,
    bytes: binBody.length,
    token: binToken,
    format: 'RowBinary',
  };
  const spool = new Spool(dir, 1 << 20, () => {});
  await spool.append(binary);
  await spool.append(compact);
  await spool.append(plain);
  assert.deepEqual(readdirSync(dir).sort(), [
    `000000000000004.ai_calls_in_v2.2.${token}.compact.jsonl`,
    `000000000000005.ai_calls.1.${plain.token}.jsonl`,
    `000000000000006.ai_calls_in_v2.2.${binToken}.rowbinary`,
  ]);
  const reopened = new Spool(dir, 1 << 20, () => {});
  assert.deepEqual([reopened.size, reopened.rows], [3, 5]);
  const read = async () => {
    const head = reopened.head();
    assert.ok(head);
    const b = await reopened.read(head);
    await reopened.remove(head);
    return b;
  };
  assert.deepEqual(await read(), compact);
  const back = await read();
  assert.deepEqual(back, plain);
  assert.equal(back.format, undefined);
  assert.deepEqual(await read(), binary);
});

test('a token that cannot be part of a file name is refused', async () => {
  const spool = new Spool(tempDir(), 1 << 20, () => {});
  const body = Buffer.from('{}\n');
  await assert.rejects(spool.append({ seq: 1, table: 'ai_calls', rows: 1, body, bytes: body.length, token: '../x' }));
  assert.equal(spool.size, 0);
});
