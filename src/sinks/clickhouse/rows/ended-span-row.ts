import { type EndedSpan, spanTimes } from '../../../telemetry/ended-span.js';
import { AttributesObjectWriter } from '../../../telemetry/span-attributes.js';
import { type OtelSpanRow, SPAN_KINDS, STATUS_CODES, attributesToMap, durationNanos } from './otel-span-row.js';
import { frag, RowBytes } from './row-bytes.js';
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
  timestamp: frag('{"Timestamp":"'),
  traceId: frag('","TraceId":"'),
  spanId: frag('","SpanId":"'),
  parentSpanId: frag('","ParentSpanId":"'),
  noParent: frag('","ParentSpanId":""'),
  traceState: frag(',"TraceState":"'),
  noTraceState: frag(',"TraceState":""'),
  quote: frag('"'),
  duration: frag(',"Duration":'),
};
const TAIL =
  ',"Events.Timestamp":[],"Events.Name":[],"Events.Attributes":[]' +
  ',"Links.TraceId":[],"Links.SpanId":[],"Links.TraceState":[],"Links.Attributes":[]}';
const STATUS_UNSET_TAIL = frag(`,"StatusCode":"${STATUS_CODES[STATUS_UNSET]}","StatusMessage":""${TAIL}`);
const STATUS_ERROR_MESSAGE = frag(`,"StatusCode":"${STATUS_CODES[STATUS_ERROR]}","StatusMessage":"`);
const QUOTE_TAIL = frag(`"${TAIL}`);

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
    w.text(JSON.stringify(toEndedSpanRow(span)));
    w.endRow();
    return;
  }
  const row = w.pos;
  const [start, end] = spanTimes(span.startMs, span.endMs);
  w.raw(F.timestamp);
  writeDateTime64ns(w, start);
  w.raw(F.traceId);
  w.strContent(traceId);
  w.raw(F.spanId);
  w.strContent(spanId);
  if (parentSpanId === '') w.raw(F.noParent);
  else {
    w.raw(F.parentSpanId);
    w.strContent(parentSpanId);
    w.raw(F.quote);
  }
  if (traceState === '') w.raw(F.noTraceState);
  else {
    w.raw(F.traceState);
    w.strContent(traceState);
    w.raw(F.quote);
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
    w.text(JSON.stringify(toEndedSpanRow(span)));
    w.endRow();
    return;
  }
  w.raw(F.duration);
  w.num(durationNanos(start, end));
  if (errorMessage === undefined) w.raw(STATUS_UNSET_TAIL);
  else {
    w.raw(STATUS_ERROR_MESSAGE);
    w.strContent(errorMessage);
    w.raw(QUOTE_TAIL);
  }
  w.endRow();
}

/** `JSON.stringify(toEndedSpanRow(span))`, through `writeEndedSpanRow` (tests compare the two). */
export function serializeEndedSpanRow(span: EndedSpan): string {
  const w = new RowBytes(4096);
  writeEndedSpanRow(w, span);
  return w.toString().slice(0, -1);
}
