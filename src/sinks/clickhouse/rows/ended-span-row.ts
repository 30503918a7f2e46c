import type { AttributeValue } from '@opentelemetry/api';
import { type EndedSpan, spanTimes } from '../../../telemetry/ended-span.js';
import { type AttributeWriter, AttributesObjectWriter } from '../../../telemetry/span-attributes.js';
import { jstr, jstrCached, needsEscape } from './json.js';
import {
  type OtelSpanRow,
  QUOTED_KINDS,
  QUOTED_STATUS,
  SPAN_KINDS,
  STATUS_CODES,
  attrString,
  attributesToMap,
  durationNanos,
  quotedKey,
  resourceColumns,
} from './otel-span-row.js';
import { fastDateTime64ns, formatDateTime64ns } from './time-format.js';

/**
 * `otel_traces` rows of lean spans (telemetry/ended-span.ts), serialized from the span's data
 * without a ReadableSpan: the same bytes `serializeOtelSpanRow` writes for the ReadableSpan of the
 * same span (a unit test compares them). The attributes go straight from the records into the
 * `SpanAttributes` map.
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

/**
 * `serializeAttributesMap` of the span's attributes, written as they come, each as few pieces as
 * possible (a cached `,"key":"` head, the value, the closing quote).
 */
class SpanAttributesMapWriter implements AttributeWriter {
  out = '';
  /** A name an object would reorder: the caller takes the object path. */
  odd = false;

  attr(key: string, value: AttributeValue | null | undefined): void {
    if (value === undefined || value === null || this.odd) return;
    let h = HEADS.get(key);
    if (h === undefined) {
      const k = quotedKey(key);
      if (k === undefined) {
        this.odd = true;
        return;
      }
      h = { next: `,${k}"`, first: `{${k}"`, nextRaw: `,${k}`, firstRaw: `{${k}` };
      if (HEADS.size >= HEADS_MAX) HEADS.clear();
      HEADS.set(key, h);
    }
    const first = this.out === '';
    const s = typeof value === 'string' ? value : attrString(value);
    const piece = needsEscape(s) ? `${first ? h.firstRaw : h.nextRaw}${JSON.stringify(s)}` : `${first ? h.first : h.next}${s}"`;
    this.out = first ? piece : this.out + piece;
  }
}

interface Heads {
  next: string;
  first: string;
  nextRaw: string;
  firstRaw: string;
}

const HEADS = new Map<string, Heads>();
const HEADS_MAX = 4096;

const EMPTY_TAIL =
  ',"Events.Timestamp":[],"Events.Name":[],"Events.Attributes":[]' +
  ',"Links.TraceId":[],"Links.SpanId":[],"Links.TraceState":[],"Links.Attributes":[]}';

/** `JSON.stringify(toEndedSpanRow(span))`, byte for byte, without the intermediate objects. */
export function serializeEndedSpanRow(span: EndedSpan): string {
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
    return JSON.stringify(toEndedSpanRow(span));
  }
  const w = new SpanAttributesMapWriter();
  span.writeAttributes(w);
  if (w.odd) return JSON.stringify(toEndedSpanRow(span));
  const [start, end] = spanTimes(span.startMs, span.endMs);
  const duration = durationNanos(start, end);
  const resource = resourceColumns(span.resource.attributes);
  return (
    `{"Timestamp":"${fastDateTime64ns(start)}","TraceId":${jstr(traceId)},"SpanId":${jstr(spanId)}` +
    `,"ParentSpanId":${jstr(parentSpanId)},"TraceState":${jstr(traceState)},"SpanName":${jstrCached(name)}` +
    `,"SpanKind":${QUOTED_KINDS[span.kind] ?? `"${SPAN_KIND_UNSPECIFIED}"`},"ServiceName":${resource.service}` +
    `,"ResourceAttributes":${resource.map},"ScopeName":${jstrCached(scope.name)},"ScopeVersion":${jstrCached(scopeVersion)}` +
    `,"SpanAttributes":${w.out === '' ? '{}' : `${w.out}}`},"Duration":${Number.isFinite(duration) ? duration : 'null'}` +
    `,"StatusCode":${QUOTED_STATUS[errorMessage === undefined ? STATUS_UNSET : STATUS_ERROR]},"StatusMessage":${jstr(errorMessage ?? '')}` +
    EMPTY_TAIL
  );
}
