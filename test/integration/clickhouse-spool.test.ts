import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClickHouseClient } from '@clickhouse/client';
import { parseClickHouseSettings } from '../../src/sinks/clickhouse/settings.js';
import { type ClickHouseSink, createClickHouseSink } from '../../src/sinks/clickhouse/sink.js';
import { BACKENDS, lockEmbeddedDir, startBackend, type TestBackend } from '../support/clickhouse-server.js';
import { bulkRecord } from './clickhouse-fixtures.js';

/** A spool file of any row format (JSON lines, or RowBinary to a server). */
const isSpoolFile = (f: string) => f.endsWith('.jsonl') || f.endsWith('.rowbinary');

/**
 * ClickHouse goes away mid-run (server: the process is stopped; embedded: another process holds
 * the data dir), records spool, ClickHouse comes back, the spool replays in order: zero lost, zero
 * duplicated. Each scenario has its own database and spool dir.
 */
for (const kind of BACKENDS) {
  describe(`ClickHouse spool and faults (${kind})`, () => {
    let backend: TestBackend;
    const dirs: string[] = [];
    const logs: string[] = [];
    const now = Date.now();

    before(async () => {
      delete process.env.CLICKHOUSE_URL;
      backend = await startBackend(kind);
    });
    after(async () => {
      await backend?.dispose();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    const newSpoolDir = () => {
      const d = mkdtempSync(join(tmpdir(), 'switchyard-spool-'));
      dirs.push(d);
      return d;
    };
    const openSink = (database: string, spoolDir: string): Promise<ClickHouseSink> =>
      createClickHouseSink(
        parseClickHouseSettings({ ...backend.connection, database, spool: { dir: spoolDir }, batch: { max_rows: 25, max_delay_ms: 20 } }),
        { log: (l) => logs.push(l), env: {} },
      );
    /** ClickHouse unavailable to this process: stop the server, or lock the embedded dir from another process. */
    const outage = async (): Promise<() => Promise<void>> => {
      await backend.closeClients();
      if (backend.server) {
        await backend.server.stop();
        const server = backend.server;
        return () => server.start();
      }
      const lock = await lockEmbeddedDir(backend.connection.path as string);
      return () => lock.release();
    };
    const one = async <T>(client: ClickHouseClient, query: string): Promise<T> =>
      (await (await client.query({ query, format: 'JSONEachRow' })).json<T>())[0] as T;

    test('records spool while ClickHouse is down and replay in order when it returns', async () => {
      const spoolDir = newSpoolDir();
      let sink = await openSink('spool_order', spoolDir);
      for (let i = 0; i < 50; i++) sink.write(bulkRecord(i, now));
      await sink.flush();
      assert.equal(sink.health().spooled, 0);
      if (!backend.server) await sink.close(); // the embedded dir must be free for the other process
      const recover = await outage();
      if (!backend.server) sink = await openSink('spool_order', spoolDir);
      for (let i = 50; i < 150; i++) sink.write(bulkRecord(i, now));
      await sink.flush();
      const down = sink.health();
      assert.equal(down.state, 'degraded');
      assert.equal(down.spooled, 100);
      assert.equal(down.queued, 0);
      assert.ok(down.lastError);
      assert.equal(readdirSync(spoolDir).filter(isSpoolFile).length, 4);
      await recover();
      await sink.flush();
      const up = sink.health();
      assert.deepEqual([up.state, up.spooled, up.queued, up.spoolDroppedTotal], ['ok', 0, 0, 0]);
      assert.deepEqual(readdirSync(spoolDir).filter(isSpoolFile), []);
      const client = await backend.client();
      assert.deepEqual(await one(client, 'SELECT count() AS n, uniqExact(call_id) AS ids FROM spool_order.ai_calls'), { n: 150, ids: 150 });
      // Replayed in order: the block number of each row's part (the insert that wrote it; a merged
      // part spans a contiguous range, so its first block keeps the order) grows with the record's number.
      const parts = await (
        await client.query({
          query:
            "SELECT toUInt32(splitByChar('-', call_id)[2]) AS i, toUInt64(splitByChar('_', _part)[2]) AS block FROM spool_order.ai_calls ORDER BY i",
          format: 'JSONEachRow',
        })
      ).json<{ i: number; block: number }>();
      const blocks = parts.map((p) => p.block);
      assert.deepEqual(
        blocks,
        [...blocks].sort((a, b) => a - b),
      );
      await sink.close();
    });

    test('fault: 1,200 calls, ClickHouse stops mid-run and the sidecar restarts; count and cost match', async () => {
      const spoolDir = newSpoolDir();
      const total = 1200;
      let expectedCost = 0;
      const send = async (sink: ClickHouseSink, from: number, to: number) => {
        for (let i = from; i < to; i++) {
          const r = bulkRecord(i, now, i % 3 === 0 ? 'search' : 'support-chat');
          expectedCost += r.costUsd ?? 0;
          sink.write(r);
          if (i % 50 === 49) await sleep(2); // let batches go out as traffic flows
        }
      };
      let sink = await openSink('fault', spoolDir);
      await send(sink, 0, 400);
      let recover: () => Promise<void>;
      if (backend.server) {
        recover = await outage(); // the server dies under the running sink
        await send(sink, 400, 800);
        await sink.close(); // SIGTERM while ClickHouse is down: everything in memory spools
      } else {
        await sink.close();
        recover = await outage();
        sink = await openSink('fault', spoolDir);
        await send(sink, 400, 800);
        await sink.close();
      }
      const spooledFiles = readdirSync(spoolDir).filter(isSpoolFile).length;
      assert.ok(spooledFiles >= 16, `expected the outage's records in the spool, found ${spooledFiles} files`);
      await recover();
      sink = await openSink('fault', spoolDir); // the restarted sidecar replays the spool first
      await send(sink, 800, total);
      await sink.flush();
      assert.deepEqual([sink.health().spooled, sink.health().spoolDroppedTotal], [0, 0]);
      await sink.close();
      const client = await backend.client();
      const got = await one<{ n: number; ids: number; cost: number }>(
        client,
        'SELECT count() AS n, uniqExact(call_id) AS ids, round(sum(cost_usd), 9) AS cost FROM fault.ai_calls',
      );
      assert.deepEqual(got, { n: total, ids: total, cost: Math.round(expectedCost * 1e9) / 1e9 });
      const rollup = await one<{ calls: number }>(client, 'SELECT sum(calls) AS calls FROM fault.ai_calls_hourly');
      assert.equal(rollup.calls, total);
    });
  });
}
