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
