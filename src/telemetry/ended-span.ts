import type { HrTime, SpanKind } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { AttemptRecord, CallRecord } from '../core/call-record.js';
import type { AttributeWriter } from './span-attributes.js';

/**
 * A finished, sampled span of the lean path (SWITCHYARD_SPANS=lean), as span sinks receive it: the
 * span's data without a ReadableSpan (no context closure, no Attributes object, no HrTime arrays).
 * It keeps references to the call's records; its attributes are written on demand, in order, to
 * an AttributeWriter (span-attributes.ts). Immutable once handed out.
 *
 * What a ReadableSpan of the same span would show: `spanContext()` = { traceId, spanId, traceFlags: 1,
 * traceState }, `parentSpanContext?.spanId` = parentSpanId, times from `startMs`/`endMs` through
 * `spanTimes`, status ERROR with `errorMessage` when it is set (UNSET otherwise), no events, no links,
 * nothing dropped.
 */
export interface EndedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  /** The W3C `tracestate` value, serialized. */
  readonly traceState: string | undefined;
  readonly name: string;
  readonly kind: SpanKind;
  /** Epoch milliseconds (fractions allowed), as the records give them. */
  readonly startMs: number;
  readonly endMs: number;
  readonly errorMessage: string | undefined;
  readonly resource: Resource;
  readonly scope: ReadableSpan['instrumentationScope'];
  writeAttributes(w: AttributeWriter): void;
  /**
   * The record the span was made from (a SERVER span's CallRecord, a CLIENT span's AttemptRecord),
   * on the lean path: a sink that writes the ledger may let the ledger row carry the span
   * (ClickHouse's `ai_calls_in_v2` views). Undefined for spans of any other origin.
   */
  readonly ledgerRecord?: CallRecord | AttemptRecord | undefined;
}

/**
 * Where lean spans can go without becoming ReadableSpans (the ClickHouse `otel_traces` sink).
 * `writeSpan` is called on the request path when the span ends: it must not throw, block or do
 * I/O. On the SDK span path (SWITCHYARD_SPANS=sdk) the same sink gets ReadableSpans through
 * `spanExporter`, under a BatchSpanProcessor.
 */
export interface EndedSpanSink {
  writeSpan(span: EndedSpan): void;
  readonly spanExporter: SpanExporter;
}

/**
 * The span's start and end as the SDK records them: epoch ms → HrTime as millisToHrTime does;
 * an end before the start is the start (Span.end).
 */
export function spanTimes(startMs: number, endMs: number): [HrTime, HrTime] {
  const start = millisToHrTime(startMs);
  const end = millisToHrTime(endMs);
  if (end[0] < start[0] || (end[0] === start[0] && end[1] < start[1])) return [start, [start[0], start[1]]];
  return [start, end];
}
