import type { ClickHouseClient } from '@clickhouse/client';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { CallRecord, CallSink, SinkHealth } from '../../core/call-record.js';
import type { DdlContext } from './ddl/context.js';
import { migrate } from './migrations.js';
import { openClient } from './open-client.js';
import { type Batch, makeBatch, type SinkTable, SINK_TABLES } from './pipeline/batch.js';
import { Delivery } from './pipeline/delivery.js';
import { makeInserter } from './pipeline/insert-batch.js';
import { Spool } from './pipeline/spool.js';
import { TableBuffer } from './pipeline/table-buffer.js';
import { toAiAttemptRows } from './rows/ai-attempt-rows.js';
import { toAiCallRow } from './rows/ai-call-row.js';
import type { ClickHouseSettings } from './settings.js';
import { ClickHouseSpanExporter } from './span-exporter.js';
import { resolveTarget } from './target.js';

/**
 * The ClickHouse sink: the ledger (`ai_calls` + `ai_attempts`) as a CallSink, and `otel_traces`
 * through `spanExporter`, all over one batching, spooling, ordered delivery pipeline.
 * `write()` only serializes and appends to an in-memory buffer: it never throws, never awaits and
 * never does I/O. The schema is migrated (auto_migrate) before the first insert, not at start, so a
 * sidecar starts fine while ClickHouse is down and its records wait in the spool.
 */
export interface ClickHouseSink extends CallSink {
  readonly spanExporter: SpanExporter;
  health(): SinkHealth & { rejectedRows: number; target: string };
}

export interface ClickHouseSinkOptions {
  log: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Test and benchmark seam: replaces the ClickHouse insert (no client, no migration). */
  insert?: (batch: Batch) => Promise<void>;
}

export async function createClickHouseSink(settings: ClickHouseSettings, opts: ClickHouseSinkOptions): Promise<ClickHouseSink> {
  const target = resolveTarget(settings, opts.env);
  // Opened on first use and re-tried on every insert until it works: an embedded data dir locked by
  // another process is an outage like a server that is down (records spool, then replay).
  let client: ClickHouseClient | null = null;
  let insertRows: ((batch: Batch) => Promise<void>) | null = null;
  const connect = async () => {
    if (!client) {
      client = await openClient(target, { requestTimeoutMs: settings.request_timeout_ms });
      insertRows = makeInserter(client, ctx, { asyncInsert: settings.async_insert });
    }
    return { client, insertRows: insertRows as (batch: Batch) => Promise<void> };
  };
  const ctx: DdlContext = { database: settings.database };
  if (settings.cluster) ctx.cluster = settings.cluster;
  if (settings.ttl_days) ctx.ttlDays = settings.ttl_days;
  let schemaReady = !settings.auto_migrate;
  const insert = async (batch: Batch) => {
    const c = await connect();
    if (!schemaReady) {
      await migrate(c.client, ctx);
      schemaReady = true;
    }
    await c.insertRows(batch);
  };

  const deliver = opts.insert ?? insert;
  const spool = new Spool(settings.spool.dir, settings.spool.max_bytes, opts.log);
  if (spool.size > 0) opts.log(`clickhouse sink: replaying ${spool.rows} spooled rows from ${spool.dir}`);
  const delivery = new Delivery({ spool, insert: deliver, maxPendingBatches: settings.batch.max_pending_batches, log: opts.log });
  let seq = spool.maxSeq;
  const onSeal = (table: SinkTable, lines: string[]) => delivery.submit(makeBatch(++seq, table, lines));
  const buffers = new Map(
    SINK_TABLES.map((table) => [
      table,
      new TableBuffer({
        table,
        maxRows: settings.batch.max_rows,
        maxBytes: settings.batch.max_bytes,
        maxDelayMs: settings.batch.max_delay_ms,
        onSeal,
      }),
    ]),
  );
  const buffer = (t: SinkTable) => buffers.get(t) as TableBuffer;
  const sealAll = () => {
    for (const b of buffers.values()) b.seal();
  };
  let closed = false;
  let droppedOnWrite = 0;

  const sink: ClickHouseSink = {
    name: 'clickhouse',
    spanExporter: new ClickHouseSpanExporter({ add: (line) => buffer('otel_traces').add(line), flush: () => sink.flush() }),
    write(record: CallRecord) {
      try {
        if (closed) {
          droppedOnWrite++;
          return;
        }
        buffer('ai_calls').add(JSON.stringify(toAiCallRow(record)));
        for (const row of toAiAttemptRows(record)) buffer('ai_attempts').add(JSON.stringify(row));
      } catch (err) {
        droppedOnWrite++;
        opts.log(`clickhouse sink: cannot serialize call ${record?.callId}: ${(err as Error).message}`);
      }
    },
    async flush() {
      sealAll();
      await delivery.flush();
    },
    async close() {
      if (closed) return;
      closed = true;
      sealAll();
      await delivery.close(settings.request_timeout_ms);
      await client?.close().catch(() => undefined);
    },
    health() {
      let queued = delivery.pendingRows;
      for (const b of buffers.values()) queued += b.rows;
      const degraded = delivery.failing || spool.size > 0;
      return {
        name: 'clickhouse',
        state: degraded ? 'degraded' : 'ok',
        queued,
        spooled: spool.rows,
        spoolDroppedTotal: spool.droppedRows + droppedOnWrite,
        lastError: delivery.lastError,
        lastErrorAt: delivery.lastErrorAt,
        rejectedRows: delivery.rejectedRows,
        target: target.label,
      };
    },
  };
  return sink;
}
