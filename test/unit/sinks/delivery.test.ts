import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type Batch, makeBatch } from '../../../src/sinks/clickhouse/pipeline/batch.js';
import { Delivery } from '../../../src/sinks/clickhouse/pipeline/delivery.js';
import { Spool } from '../../../src/sinks/clickhouse/pipeline/spool.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'delivery-unit-'));
  dirs.push(d);
  return d;
};

test('batches spilled past max_pending_batches are sent (in seq order) without waiting for a later batch', async () => {
  const spool = new Spool(tempDir(), 1 << 20, () => {});
  const sent: number[] = [];
  const delivery = new Delivery({
    spool,
    insert: async (b: Batch) => {
      sent.push(b.seq);
    },
    maxPendingBatches: 1,
    log: () => {},
  });
  for (let seq = 1; seq <= 6; seq++) delivery.submit(makeBatch(seq, 'ai_calls', [JSON.stringify({ call_id: String(seq) })]));
  const timeout = new Promise<string>((r) => setTimeout(() => r('timed out'), 3000).unref());
  assert.equal(await Promise.race([delivery.flush().then(() => 'flushed'), timeout]), 'flushed');
  assert.deepEqual(sent, [1, 2, 3, 4, 5, 6]);
  assert.equal(spool.size, 0);
  await delivery.close(1000);
});

test('release comes once per submitted batch, only after its insert succeeded or its spool file was written', async () => {
  const dir = tempDir();
  const spool = new Spool(dir, 1 << 20, () => {});
  const events: string[] = [];
  let fail = true;
  const delivery = new Delivery({
    spool,
    insert: async (b: Batch) => {
      events.push(`insert ${b.seq}`);
      await new Promise((r) => setTimeout(r, 5));
      if (fail && b.seq === 2) throw new Error('down');
      events.push(`inserted ${b.seq}`);
    },
    maxPendingBatches: 8,
    log: () => {},
    release: (b) => {
      const spooled = readdirSync(dir).some((f) => f.startsWith(`${String(b.seq).padStart(15, '0')}.`));
      events.push(`release ${b.seq} ${events.includes(`inserted ${b.seq}`) ? 'inserted' : spooled ? 'spooled' : 'in use'}`);
    },
    initialBackoffMs: 50,
  });
  for (let seq = 1; seq <= 3; seq++) delivery.submit(makeBatch(seq, 'ai_calls', [JSON.stringify({ call_id: String(seq) })]));
  const timeout = new Promise<string>((r) => setTimeout(() => r('timed out'), 3000).unref());
  assert.equal(await Promise.race([delivery.flush().then(() => 'flushed'), timeout]), 'flushed');
  fail = false;
  assert.equal(await Promise.race([delivery.flush().then(() => 'flushed'), timeout]), 'flushed');
  await delivery.close(1000);
  const releases = events.filter((e) => e.startsWith('release'));
  assert.deepEqual(releases.sort(), ['release 1 inserted', 'release 2 spooled', 'release 3 spooled']);
  // the spooled ones were replayed from their files afterwards
  assert.ok(events.indexOf('inserted 2') > events.indexOf('release 2 spooled'));
  assert.ok(events.indexOf('inserted 3') > events.indexOf('release 3 spooled'));
  assert.equal(spool.size, 0);
});

test('flush waits for the insert under way when it is called (a batch sealed by max_delay_ms just before)', async () => {
  const spool = new Spool(tempDir(), 1 << 20, () => {});
  const events: string[] = [];
  let started!: () => void;
  const insertStarted = new Promise<void>((r) => {
    started = r;
  });
  let finish!: (err?: Error) => void;
  let down = false;
  const delivery = new Delivery({
    spool,
    insert: (b: Batch) =>
      new Promise<void>((resolve, reject) => {
        if (down) return reject(new Error('connection refused'));
        events.push(`insert ${b.seq}`);
        finish = (err) => {
          events.push(err ? `failed ${b.seq}` : `inserted ${b.seq}`);
          if (err) reject(err);
          else resolve();
        };
        started();
      }),
    maxPendingBatches: 8,
    log: () => {},
    initialBackoffMs: 60_000,
  });
  delivery.submit(makeBatch(1, 'ai_calls', ['{"call_id":"a"}', '{"call_id":"b"}']));
  await insertStarted; // the batch has left the queue: its insert is under way
  assert.equal(delivery.pendingRows, 2, 'rows in the insert under way still count as queued');
  const flushed = delivery.flush().then(() => events.push('flushed'));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(events, ['insert 1'], 'flush resolved while the insert was under way');
  finish();
  await flushed;
  assert.deepEqual(events, ['insert 1', 'inserted 1', 'flushed']);
  assert.equal(delivery.pendingRows, 0);

  // ClickHouse goes down during the next insert: flush resolves once that insert has failed and its
  // batch is in the spool, without waiting out the back-off (60 s here).
  const again = new Promise<void>((r) => {
    started = r;
  });
  delivery.submit(makeBatch(2, 'ai_calls', ['{"call_id":"c"}']));
  await again;
  const flushedDown = delivery.flush().then(() => events.push('flushed'));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(events.at(-1), 'insert 2');
  finish(new Error('connection refused'));
  await flushedDown;
  assert.deepEqual(events.slice(3), ['insert 2', 'failed 2', 'flushed']);
  assert.equal(spool.rows, 1);
  down = true;
  await delivery.close(100);
  assert.equal(spool.rows, 1, 'close keeps the spooled batch for the next start');
});
