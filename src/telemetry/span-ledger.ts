import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { CallRecord } from '../core/call-record.js';
import type { SpanBytes } from './lean-otlp/span-bytes.js';

export type SpanScope = ReadableSpan['instrumentationScope'];

/**
 * The span ledger: where the lean span path hands every call's spans, sampled or not, as OTLP/JSON
 * span objects, for ClickHouse's views to build the ledger from (sinks/clickhouse/ddl/otlp-in.ts).
 * Sampled spans the OTLP batcher has encoded reach it in bulk and by reference: the batcher lends
 * each run of them (`lendSpans`, no copy) when the ledger drains it (`drainFrom`: before every seal,
 * and at least every `max_delay_ms`) or before the batch they are in is exported, and reuses the
 * memory once the ledger gives it back; any other span is encoded into the ledger's own buffer as it
 * ends. The ClickHouse sink implements it (sinks/clickhouse/pipeline/otlp-ledger.ts); nothing here
 * waits or does I/O.
 */
/** A run of span objects encoded elsewhere (by the OTLP batcher), lent to the ledger by reference. */
export interface LentSpans {
  resource: Resource;
  scope: SpanScope;
  /** `bytes[from, to)` is `spans` span objects separated by commas, `calls` of them SERVER spans (one ledger row each). */
  bytes: Buffer;
  from: number;
  to: number;
  spans: number;
  calls: number;
  /**
   * The lender leaves the bytes as they are until the ledger calls this, once, when nothing reads
   * them any more (their insert is done, or they were written to the spool, or dropped).
   */
  release: () => void;
}

export interface SpanLedger {
  /** Takes a run of span objects encoded elsewhere, by reference (no copy). */
  lendSpans(run: LentSpans): void;
  /** Encodes a span into the ledger's own buffer; throws what `encode` throws (then nothing is kept). */
  encode<T>(resource: Resource, scope: SpanScope, encode: (w: SpanBytes, span: T) => void, span: T, call: boolean): void;
  /** A call one of whose spans the ledger did not get: it takes the record itself instead. */
  missed(record: CallRecord): void;
  /**
   * Registers a holder of ledger spans (the OTLP batcher): `drain` lends every span it holds for
   * the ledger (`lendSpans`), synchronously. The ledger calls it before it seals a batch and at
   * least every `max_delay_ms`, so a span waits no longer for the holder than for the ledger itself.
   */
  drainFrom(drain: () => void): void;
}

/** A sink that can take the ledger as spans (the ClickHouse sink, unless its config says rows). */
export interface SpanLedgerSource {
  /** The ledger, once the lean span path takes it; null: the sink keeps writing rows. */
  attachSpanLedger(): SpanLedger | null;
}

export function isSpanLedgerSource(x: unknown): x is SpanLedgerSource {
  return typeof (x as SpanLedgerSource | null)?.attachSpanLedger === 'function';
}

/**
 * The lean span path's outputs from its span sinks: the first that takes the ledger as spans
 * becomes the ledger (and gets no ended spans), the others stay span sinks.
 */
export function takeSpanLedger<S>(sinks: readonly S[]): { ledger?: SpanLedger; spanSinks: S[] } {
  let ledger: SpanLedger | undefined;
  const spanSinks: S[] = [];
  for (const sink of sinks) {
    const taken = ledger === undefined && isSpanLedgerSource(sink) ? sink.attachSpanLedger() : null;
    if (taken !== null) ledger = taken;
    else spanSinks.push(sink);
  }
  return ledger !== undefined ? { ledger, spanSinks } : { spanSinks };
}
