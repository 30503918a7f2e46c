import { type EndedSpan, spanTimes } from '../../../telemetry/ended-span.js';
import { AttributesObjectWriter } from '../../../telemetry/span-attributes.js';
import { type OtelSpanRow, SPAN_KINDS, STATUS_CODES, attributesToMap, durationNanos } from './otel-span-row.js';
import { utf8 } from '../../../core/json-bytes.js';
import { RowBytes } from './row-bytes.js';
import { SpanAttributesBytes } from './span-attributes-bytes.js';
import { writeSpanNameColumns } from './span-name-columns.js';
import { writeDateTime64ns } from './time-bytes.js';
import { formatDateTime64ns } from './time-format.js';

/**
 * `otel_traces` rows of lean spans (telemetry/ended-span.ts), serialized from the span's data
 * without a ReadableSpan: the same bytes `serializeOtelSpanRow` writes for the ReadableSpan of the
 * same span (a unit test compares them), written straight into the batch's bytes. The attributes go
 * straight from the records into the `SpanAttributes` map.
 */
const SPAN_KIND_UNSPECIFIED = 'SPAN_KIND_UNSPECIFIED';
const STATUS_UNSET = 0;
const STATUS_ERROR = 2;

/** The row as an object (the reference the fast path matches, and its fallback for odd values). */
export function toEndedSpanRow(span: EndedSpan): OtelSpanRow {
  const [start, end] = spanTimes(span.startMs, span.endMs);
  const resourceAttrs = attributesToMap(span.resource.attributes);
  const attributes = new AttributesObjectWriter();
  span.writeAttributes(attributes);
  return {
    Timestamp: formatDateTime64ns(start),
    TraceId: span.traceId,
    SpanId: span.spanId,
    ParentSpanId: span.parentSpanId ?? '',
    TraceState: span.traceState ?? '',
    SpanName: span.name,
    SpanKind: SPAN_KINDS[span.kind] ?? SPAN_KIND_UNSPECIFIED,
    ServiceName: resourceAttrs['service.name'] ?? '',
    ResourceAttributes: resourceAttrs,
    ScopeName: span.scope.name,
    ScopeVersion: span.scope.version ?? '',
    SpanAttributes: attributesToMap(attributes.attributes),
    Duration: durationNanos(start, end),
    StatusCode: STATUS_CODES[span.errorMessage === undefined ? STATUS_UNSET : STATUS_ERROR] as string,
    StatusMessage: span.errorMessage ?? '',
    'Events.Timestamp': [],
    'Events.Name': [],
    'Events.Attributes': [],
    'Links.TraceId': [],
    'Links.SpanId': [],
    'Links.TraceState': [],
    'Links.Attributes': [],
  };
}

// Constant fragments. Strings go between fragments that hold their quotes (written as JSON string
// content), and the usual empty values are part of the fragments.
const F = {
  timestamp: utf8('{"Timestamp":"'),
  traceId: utf8('","TraceId":"'),
  spanId: utf8('","SpanId":"'),
  parentSpanId: utf8('","ParentSpanId":"'),
  noParent: utf8('","ParentSpanId":""'),
  traceState: utf8(',"TraceState":"'),
  noTraceState: utf8(',"TraceState":""'),
  quote: utf8('"'),
  duration: utf8(',"Duration":'),
};
const TAIL =
  ',"Events.Timestamp":[],"Events.Name":[],"Events.Attributes":[]' +
  ',"Links.TraceId":[],"Links.SpanId":[],"Links.TraceState":[],"Links.Attributes":[]}';
const STATUS_UNSET_TAIL = utf8(`,"StatusCode":"${STATUS_CODES[STATUS_UNSET]}","StatusMessage":""${TAIL}`);
const STATUS_ERROR_MESSAGE = utf8(`,"StatusCode":"${STATUS_CODES[STATUS_ERROR]}","StatusMessage":"`);
const QUOTE_TAIL = utf8(`"${TAIL}`);

const attributes = new SpanAttributesBytes();

/**
 * Writes `JSON.stringify(toEndedSpanRow(span))` into `w`, byte for byte, without the intermediate
 * objects or strings: constant fragments copied, the resource's columns encoded once, the attributes
 * written as the span hands them over. A span with a field of an unexpected type, or an attribute
 * name an object would reorder, is written on the object path.
 */
export function writeEndedSpanRow(w: RowBytes, span: EndedSpan): void {
  const { traceId, spanId, name, errorMessage, scope } = span;
  const parentSpanId = span.parentSpanId ?? '';
  const traceState = span.traceState ?? '';
  const scopeVersion = scope.version ?? '';
  if (
    typeof traceId !== 'string' ||
    typeof spanId !== 'string' ||
    typeof parentSpanId !== 'string' ||
    typeof traceState !== 'string' ||
    typeof name !== 'string' ||
    typeof scope.name !== 'string' ||
    typeof scopeVersion !== 'string' ||
    (errorMessage !== undefined && typeof errorMessage !== 'string')
  ) {
    w.native(JSON.stringify(toEndedSpanRow(span)));
    w.endRow();
    return;
  }
  const row = w.pos;
  const [start, end] = spanTimes(span.startMs, span.endMs);
  w.bytes(F.timestamp);
  writeDateTime64ns(w, start);
  w.bytes(F.traceId);
  w.stringContent(traceId);
  w.bytes(F.spanId);
  w.stringContent(spanId);
  if (parentSpanId === '') w.bytes(F.noParent);
  else {
    w.bytes(F.parentSpanId);
    w.stringContent(parentSpanId);
    w.bytes(F.quote);
  }
  if (traceState === '') w.bytes(F.noTraceState);
  else {
    w.bytes(F.traceState);
    w.stringContent(traceState);
    w.bytes(F.quote);
  }
  writeSpanNameColumns(w, span, scopeVersion);
  attributes.begin(w, span.kind);
  try {
    span.writeAttributes(attributes);
  } finally {
    attributes.end();
  }
  if (attributes.odd) {
    w.pos = row;
    w.native(JSON.stringify(toEndedSpanRow(span)));
    w.endRow();
    return;
  }
  w.bytes(F.duration);
  w.number(durationNanos(start, end));
  if (errorMessage === undefined) w.bytes(STATUS_UNSET_TAIL);
  else {
    w.bytes(STATUS_ERROR_MESSAGE);
    w.stringContent(errorMessage);
    w.bytes(QUOTE_TAIL);
  }
  w.endRow();
}

/** `JSON.stringify(toEndedSpanRow(span))`, through `writeEndedSpanRow` (tests compare the two). */
export function serializeEndedSpanRow(span: EndedSpan): string {
  const w = new RowBytes(4096);
  writeEndedSpanRow(w, span);
  return w.text().slice(0, -1);
}
