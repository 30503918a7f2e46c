import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
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
