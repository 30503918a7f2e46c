import type { ClickHouseClient } from '@clickhouse/client';
import type { CallRecord, CallSink, SinkHealth } from '../../core/call-record.js';
import type { DdlContext } from './ddl/context.js';
import { migrate } from './migrations.js';
import { openClient } from './open-client.js';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { EndedSpan, EndedSpanSink } from '../../telemetry/ended-span.js';
import { type Batch, newRunId } from './pipeline/batch.js';
import { BatchWriter } from './pipeline/batch-writer.js';
import { BodyPool } from './pipeline/body-pool.js';
import { Delivery } from './pipeline/delivery.js';
import { makeInserter } from './pipeline/insert-batch.js';
import { RecordBuffer } from './pipeline/record-buffer.js';
import { SpanViews } from './pipeline/span-views.js';
import { AI_CALLS_IN_V2 } from './ddl/ai-calls-in-v2.js';
import { OtlpLedger } from './pipeline/otlp-ledger.js';
import { Spool } from './pipeline/spool.js';
import type { SpanLedgerSource } from '../../telemetry/span-ledger.js';
import { writeAiCallInBinaryRow } from './rows/ai-call-in-binary.js';
import { type AiCallInSpans, viewKeysMatch, writeAiCallInRow } from './rows/ai-call-in-row.js';
import { writeEndedSpanRow } from './rows/ended-span-row.js';
import { serializeOtelSpanRow } from './rows/otel-span-row.js';
import type { ClickHouseSettings } from './settings.js';
import { ClickHouseSpanExporter } from './span-exporter.js';
import { type ClickHouseTarget, resolveTarget } from './target.js';

/**
 * The ClickHouse sink: the ledger as a CallSink, and `otel_traces` as an EndedSpanSink (lean spans
 * through `writeSpan`, SDK spans through `spanExporter`), all over one batching, spooling, ordered
 * delivery pipeline. Each call is one `ai_calls_in_v2` row, which ClickHouse's views turn into its
 * `ai_calls` row, its `ai_attempts` rows and the `otel_traces` rows of the lean spans the row
 * carries (pipeline/span-views.ts); other spans are `otel_traces` rows of their own.
 * `write()` and `writeSpan()` only append to an in-memory buffer: they never throw, never await,
 * never do I/O and do not serialize. Records are serialized within 5 ms (pipeline/record-buffer.ts), off
 * the request path, straight into the per-table batch writers' byte buffers; a batch goes out when
 * full (rows or bytes), `max_delay_ms` after its first row, or on flush. The schema is migrated
 * (auto_migrate) before the first insert, not at start, so a sidecar starts fine while ClickHouse is
 * down and its records wait in the spool.
 *
 * With `ledger_source: spans` (the default) the lean span path takes the span ledger
 * (`attachSpanLedger`, pipeline/otlp-ledger.ts): every call's spans as OTLP documents into
 * `otlp_in`, through the same delivery; `write()` then ignores records, and the row path above only
 * takes the records of calls the span ledger missed.
 */
export interface ClickHouseSink extends CallSink, EndedSpanSink, SpanLedgerSource {
  /** `spansByViews`: spans that went out inside `ai_calls_in_v2` rows (the views wrote their rows). */
  /** `ledger`: where the ledger rows come from (`spans` once the lean span path took the span ledger). */
  health(): SinkHealth & { rejectedRows: number; spansByViews: number; target: string; ledger: 'spans' | 'rows' };
}

export interface ClickHouseSinkOptions {
  log: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /**
   * Test and benchmark seam: replaces the ClickHouse insert (no client, no migration). The batch's
   * body is valid until the returned promise settles (its memory is reused after): copy it to keep it.
   */
  insert?: (batch: Batch) => Promise<void>;
  /** Let `ai_calls_in_v2` rows carry lean spans for the views (default true; false: every span is a row). */
  spanViews?: boolean;
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
      insertRows = makeInserter(client, ctx, { asyncInsert: settings.async_insert, paced: target.kind === 'http' });
    }
    return { client, insertRows: insertRows as (batch: Batch) => Promise<void> };
  };
  const ctx: DdlContext = { database: settings.database };
  if (settings.cluster) ctx.cluster = settings.cluster;
  if (settings.ttl_days) ctx.ttlDays = settings.ttl_days;
  let schemaReady = !settings.auto_migrate;
  const insert = async (batch: Batch) => {
    if (target.kind === 'embedded' && batch.format === 'RowBinary') throw EMBEDDED_ROW_BINARY;
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
  const bodies = new BodyPool();
  const delivery = new Delivery({
    spool,
    insert: deliver,
    maxPendingBatches: settings.batch.max_pending_batches,
    log: opts.log,
    release: (batch) => {
      if (batch.release !== undefined) batch.release();
      else if (Buffer.isBuffer(batch.body)) bodies.give(batch.body);
    },
  });
  let seq = spool.maxSeq;
  const nextSeq = () => ++seq;
  const submit = (batch: Batch) => delivery.submit(batch);
  const limits = { maxRows: settings.batch.max_rows, maxBytes: settings.batch.max_bytes };
  const runId = newRunId();
  const binary = rowBinary(settings.insert_format, target, opts.log);
  const callsOut = new BatchWriter({ table: AI_CALLS_IN_V2, limits, nextSeq, runId, submit, bodies, format: 'JSONCompactEachRow' });
  // RowBinary rows; a record RowBinary cannot carry as the JSON text would goes to callsOut.
  const callsBinOut = binary
    ? new BatchWriter({ table: AI_CALLS_IN_V2, limits, nextSeq, runId, submit, bodies, format: 'RowBinary' })
    : null;
  const tracesOut = new BatchWriter({ table: 'otel_traces', limits, nextSeq, runId, submit, bodies });
  let closed = false;
  let droppedOnWrite = 0;
  let spansByViews = 0;
  const keysMatch = viewKeysMatch();
  if (!keysMatch) opts.log('clickhouse sink: span attributes differ from the ai_calls_in_v2 views; writing every span as its own row');
  const views = new SpanViews(keysMatch && opts.spanViews !== false);
  const queueSpan = (span: EndedSpan | ReadableSpan) => spans.add(span);

  // ai_calls_in_v2: one CallRecord makes one row (the views make its ai_calls and ai_attempts rows,
  // and the otel_traces rows of the spans it carries). A record that cannot be serialized is
  // dropped whole (counted and logged), never half-written; its parked spans are written directly.
  const calls = new RecordBuffer<CallRecord>({
    maxDelayMs: settings.batch.max_delay_ms,
    onDrain(records) {
      for (const record of records) {
        const carried = views.take(record, queueSpan);
        if (callsBinOut !== null && writeBinary(callsBinOut, record, carried)) {
          spansByViews += carriedCount(carried);
          continue;
        }
        callsOut.begin();
        try {
          writeAiCallInRow(callsOut.out, record, carried);
        } catch (err) {
          callsOut.rollback();
          droppedOnWrite++;
          opts.log(`clickhouse sink: cannot serialize call ${record?.callId}: ${(err as Error).message}`);
          if (carried.call) queueSpan(carried.call.span);
          for (const s of carried.attempts) if (s) queueSpan(s.span);
          continue;
        }
        callsOut.commit();
        spansByViews += carriedCount(carried);
      }
      views.renew();
    },
    onSeal() {
      callsBinOut?.flush();
      callsOut.flush();
    },
  });
  // otel_traces: lean spans (EndedSpan) and, on the SDK span path, ReadableSpans.
  const spans = new RecordBuffer<EndedSpan | ReadableSpan>({
    maxDelayMs: settings.batch.max_delay_ms,
    onDrain(records) {
      for (const span of records) {
        tracesOut.begin();
        try {
          if (isReadableSpan(span)) {
            tracesOut.out.native(serializeOtelSpanRow(span));
            tracesOut.out.endRow();
          } else writeEndedSpanRow(tracesOut.out, span);
        } catch (err) {
          tracesOut.rollback();
          droppedOnWrite++;
          opts.log(`clickhouse sink: cannot serialize span ${span?.name}: ${(err as Error).message}`);
          continue;
        }
        tracesOut.commit();
      }
    },
    onSeal() {
      tracesOut.flush();
    },
  });
  // The span ledger (`ledger_source: spans`), once the lean span path takes it: every call's spans
  // as OTLP documents into `otlp_in`, whose views write ai_calls, ai_attempts and otel_traces; the
  // records then only take the row path when the ledger missed one of their spans.
  let ledger: OtlpLedger | null = null;
  const sealAll = () => {
    ledger?.seal();
    calls.seal();
    views.release(queueSpan);
    spans.seal();
  };

  const sink: ClickHouseSink = {
    name: 'clickhouse',
    attachSpanLedger() {
      if (settings.ledger_source !== 'spans' || closed) return null;
      ledger ??= new OtlpLedger({
        limits,
        maxDelayMs: settings.batch.max_delay_ms,
        nextSeq,
        runId,
        submit,
        bodies,
        missed: (record) => calls.add(record),
      });
      opts.log('clickhouse sink: the ledger comes from the spans (otlp_in)');
      return ledger;
    },
    spanExporter: new ClickHouseSpanExporter({
      add: (span) => {
        if (closed) droppedOnWrite++;
        else spans.add(span);
      },
      flush: () => sink.flush(),
    }),
    writeSpan(span: EndedSpan) {
      if (closed) droppedOnWrite++;
      else if (!views.park(span)) spans.add(span);
    },
    write(record: CallRecord) {
      if (closed) {
        droppedOnWrite++;
        return;
      }
      // With the span ledger the record's spans carry it (a missed one comes back through `missed`).
      if (ledger === null) calls.add(record);
    },
    async flush() {
      sealAll();
      await delivery.flush();
    },
    async close() {
      if (closed) return;
      closed = true;
      ledger?.close();
      sealAll();
      await delivery.close(settings.request_timeout_ms);
      await client?.close().catch(() => undefined);
    },
    health() {
      const queued =
        delivery.pendingRows +
        calls.rows +
        spans.rows +
        views.parked +
        callsOut.rows +
        (callsBinOut?.rows ?? 0) +
        tracesOut.rows +
        (ledger?.rows ?? 0);
      const degraded = delivery.failing || spool.size > 0;
      return {
        name: 'clickhouse',
        state: degraded ? 'degraded' : 'ok',
        queued,
        spooled: spool.rows,
        spoolDroppedTotal: spool.droppedRows + droppedOnWrite + (ledger?.dropped ?? 0),
        lastError: delivery.lastError,
        lastErrorAt: delivery.lastErrorAt,
        rejectedRows: delivery.rejectedRows,
        spansByViews,
        target: target.label,
        ledger: ledger === null ? 'rows' : 'spans',
      };
    },
  };
  return sink;
}

/** What a spooled RowBinary batch meets at the embedded chDB (a "never inserts" code: it moves to rejected/). */
const EMBEDDED_ROW_BINARY = Object.assign(
  new Error(
    'the embedded ClickHouse takes no RowBinary inserts (its connection reads bodies as text); point the sink at the server that spooled this batch',
  ),
  { code: '73' },
);

/** Whether `ai_calls_in_v2` rows go as RowBinary: `auto` and `RowBinary` to a server; never to the embedded chDB. */
function rowBinary(format: ClickHouseSettings['insert_format'], target: ClickHouseTarget, log: (line: string) => void): boolean {
  if (target.kind === 'embedded') {
    if (format === 'RowBinary') log('clickhouse sink: the embedded ClickHouse cannot take RowBinary inserts; writing JSONCompactEachRow');
    return false;
  }
  return format !== 'JSONCompactEachRow';
}

/** How many spans a row carries for the views. */
function carriedCount(carried: AiCallInSpans): number {
  let n = carried.call ? 1 : 0;
  for (const s of carried.attempts) if (s) n++;
  return n;
}

/** A record as one RowBinary row; false (nothing written) when it must take the JSON path. */
function writeBinary(out: BatchWriter, record: CallRecord, carried: AiCallInSpans): boolean {
  out.begin();
  let ok: boolean;
  try {
    ok = writeAiCallInBinaryRow(out.out, record, carried);
  } catch {
    ok = false;
  }
  if (!ok) {
    out.rollback();
    return false;
  }
  out.commit();
  return true;
}

function isReadableSpan(span: EndedSpan | ReadableSpan): span is ReadableSpan {
  return typeof (span as ReadableSpan).spanContext === 'function';
}
