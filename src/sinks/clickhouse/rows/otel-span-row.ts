import type { AttributeValue, Attributes, HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { formatDateTime64ns } from './time-format.js';

/** One `otel_traces` row, as JSONEachRow (Nested columns as parallel arrays, like the Collector). */
export interface OtelSpanRow {
  Timestamp: string;
  TraceId: string;
  SpanId: string;
  ParentSpanId: string;
  TraceState: string;
  SpanName: string;
  SpanKind: string;
  ServiceName: string;
  ResourceAttributes: Record<string, string>;
  ScopeName: string;
  ScopeVersion: string;
  SpanAttributes: Record<string, string>;
  Duration: number;
  StatusCode: string;
  StatusMessage: string;
  'Events.Timestamp': string[];
  'Events.Name': string[];
  'Events.Attributes': Record<string, string>[];
  'Links.TraceId': string[];
  'Links.SpanId': string[];
  'Links.TraceState': string[];
  'Links.Attributes': Record<string, string>[];
}

// The Collector's strings (coreinternal/traceutil SpanKindStr / StatusCodeStr), indexed by the
// @opentelemetry/api enum values: SpanKind INTERNAL=0 … CONSUMER=4, SpanStatusCode UNSET=0 … ERROR=2.
const SPAN_KINDS = ['SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_CODES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

/** Like pcommon.Value.AsString(): strings as they are, arrays as JSON. */
function attrString(v: AttributeValue): string {
  return typeof v === 'string' ? v : Array.isArray(v) ? JSON.stringify(v) : String(v);
}

export function attributesToMap(attrs: Attributes | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!attrs) return out;
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) out[k] = attrString(v);
  return out;
}

/** Difference in ns, computed per component: epoch ns do not fit a double exactly. */
function durationNanos(start: HrTime, end: HrTime): number {
  return Math.max(0, (end[0] - start[0]) * 1e9 + (end[1] - start[1]));
}

export function toOtelSpanRow(span: ReadableSpan): OtelSpanRow {
  const ctx = span.spanContext();
  const resourceAttrs = attributesToMap(span.resource.attributes);
  return {
    Timestamp: formatDateTime64ns(span.startTime),
    TraceId: ctx.traceId,
    SpanId: ctx.spanId,
    ParentSpanId: span.parentSpanContext?.spanId ?? '',
    TraceState: ctx.traceState?.serialize() ?? '',
    SpanName: span.name,
    SpanKind: SPAN_KINDS[span.kind] ?? 'SPAN_KIND_UNSPECIFIED',
    ServiceName: resourceAttrs['service.name'] ?? '',
    ResourceAttributes: resourceAttrs,
    ScopeName: span.instrumentationScope.name,
    ScopeVersion: span.instrumentationScope.version ?? '',
    SpanAttributes: attributesToMap(span.attributes),
    Duration: durationNanos(span.startTime, span.endTime),
    StatusCode: STATUS_CODES[span.status.code] ?? 'STATUS_CODE_UNSET',
    StatusMessage: span.status.message ?? '',
    'Events.Timestamp': span.events.map((e) => formatDateTime64ns(e.time)),
    'Events.Name': span.events.map((e) => e.name),
    'Events.Attributes': span.events.map((e) => attributesToMap(e.attributes)),
    'Links.TraceId': span.links.map((l) => l.context.traceId),
    'Links.SpanId': span.links.map((l) => l.context.spanId),
    'Links.TraceState': span.links.map((l) => l.context.traceState?.serialize() ?? ''),
    'Links.Attributes': span.links.map((l) => attributesToMap(l.attributes)),
  };
}
