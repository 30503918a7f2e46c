import type { AttributeValue, Attributes, HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { jstr, jstrCached } from './json.js';
import { fastDateTime64ns, formatDateTime64ns } from './time-format.js';

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
export const SPAN_KINDS = ['SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
export const STATUS_CODES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

/** Like pcommon.Value.AsString(): strings as they are, arrays as JSON. */
export function attrString(v: AttributeValue): string {
  return typeof v === 'string' ? v : Array.isArray(v) ? JSON.stringify(v) : String(v);
}

export function attributesToMap(attrs: Attributes | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!attrs) return out;
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) out[k] = attrString(v);
  return out;
}

/** Difference in ns, computed per component: epoch ns do not fit a double exactly. */
export function durationNanos(start: HrTime, end: HrTime): number {
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

export const QUOTED_KINDS = SPAN_KINDS.map((k) => `"${k}"`);
export const QUOTED_STATUS = STATUS_CODES.map((k) => `"${k}"`);

// Quoted `"key":` prefixes of attribute names (a small, fixed set in practice). Bounded.
const KEYS = new Map<string, string>();
const KEYS_MAX = 4096;

/** `"key":` for an attribute name, or undefined for a name an object would not keep in order. */
export function quotedKey(k: string): string | undefined {
  let key = KEYS.get(k);
  if (key === undefined) {
    const c = k.charCodeAt(0);
    if ((c >= 48 && c <= 57) || k === '__proto__') return undefined;
    key = `${jstr(k)}:`;
    if (KEYS.size >= KEYS_MAX) KEYS.clear();
    KEYS.set(k, key);
  }
  return key;
}

/**
 * `JSON.stringify(attributesToMap(attrs))`, byte for byte. Keys that start with a digit (an object
 * orders integer-like keys first) or `__proto__` take the original path.
 */
export function serializeAttributesMap(attrs: Attributes | undefined): string {
  if (!attrs) return '{}';
  let out = '';
  const keys = Object.keys(attrs);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const v = attrs[k];
    if (v === undefined || v === null) continue;
    const key = quotedKey(k);
    if (key === undefined) return JSON.stringify(attributesToMap(attrs));
    const s = typeof v === 'string' ? v : Array.isArray(v) ? JSON.stringify(v) : String(v);
    out += out === '' ? `{${key}${jstr(s)}` : `,${key}${jstr(s)}`;
  }
  return out === '' ? '{}' : `${out}}`;
}

// A resource's attributes object is memoized by the SDK once settled and shared by every span:
// its map and `service.name` are serialized once per object.
const RESOURCES = new WeakMap<Attributes, { map: string; service: string }>();

const NO_RESOURCE = { map: '{}', service: '""' };

export function resourceColumns(attrs: Attributes | undefined): { map: string; service: string } {
  if (typeof attrs !== 'object' || attrs === null) return NO_RESOURCE;
  let r = RESOURCES.get(attrs);
  if (r === undefined) {
    const service = attrs['service.name'];
    r = {
      map: serializeAttributesMap(attrs),
      service: jstr(service === undefined || service === null ? '' : attrString(service)),
    };
    RESOURCES.set(attrs, r);
  }
  return r;
}

function mapArray(items: readonly { attributes?: Attributes }[]): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) out += (i === 0 ? '' : ',') + serializeAttributesMap(items[i]?.attributes);
  return `${out}]`;
}

let oddValue = false;

function strArrayOf<T>(items: readonly T[], f: (item: T) => unknown): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) {
    const v = f(items[i] as T);
    if (typeof v !== 'string') oddValue = true;
    else out += (i === 0 ? '' : ',') + jstr(v);
  }
  return `${out}]`;
}

/**
 * `JSON.stringify(toOtelSpanRow(span))`, byte for byte, without the intermediate object. A span
 * with a field of an unexpected type takes the original path.
 */
export function serializeOtelSpanRow(span: ReadableSpan): string {
  const ctx = span.spanContext();
  const name = span.name;
  const scope = span.instrumentationScope;
  const status = span.status;
  const parentSpanId = span.parentSpanContext?.spanId ?? '';
  const traceState = ctx.traceState?.serialize() ?? '';
  const scopeVersion = scope.version ?? '';
  const statusMessage = status.message ?? '';
  const duration = durationNanos(span.startTime, span.endTime);
  if (
    typeof ctx.traceId !== 'string' ||
    typeof ctx.spanId !== 'string' ||
    typeof parentSpanId !== 'string' ||
    typeof traceState !== 'string' ||
    typeof name !== 'string' ||
    typeof scope.name !== 'string' ||
    typeof scopeVersion !== 'string' ||
    typeof statusMessage !== 'string' ||
    typeof duration !== 'number'
  ) {
    return JSON.stringify(toOtelSpanRow(span));
  }
  const resource = resourceColumns(span.resource.attributes);
  const events = span.events;
  const links = span.links;
  oddValue = false;
  const line =
    `{"Timestamp":"${fastDateTime64ns(span.startTime)}","TraceId":${jstr(ctx.traceId)},"SpanId":${jstr(ctx.spanId)}` +
    `,"ParentSpanId":${jstr(parentSpanId)},"TraceState":${jstr(traceState)},"SpanName":${jstrCached(name)}` +
    `,"SpanKind":${QUOTED_KINDS[span.kind] ?? '"SPAN_KIND_UNSPECIFIED"'},"ServiceName":${resource.service}` +
    `,"ResourceAttributes":${resource.map},"ScopeName":${jstrCached(scope.name)},"ScopeVersion":${jstrCached(scopeVersion)}` +
    `,"SpanAttributes":${serializeAttributesMap(span.attributes)},"Duration":${Number.isFinite(duration) ? duration : 'null'}` +
    `,"StatusCode":${QUOTED_STATUS[status.code] ?? '"STATUS_CODE_UNSET"'},"StatusMessage":${jstr(statusMessage)}` +
    (events.length === 0
      ? ',"Events.Timestamp":[],"Events.Name":[],"Events.Attributes":[]'
      : `,"Events.Timestamp":${strArrayOf(events, (e) => fastDateTime64ns(e.time))},"Events.Name":${strArrayOf(events, (e) => e.name)}` +
        `,"Events.Attributes":${mapArray(events)}`) +
    (links.length === 0
      ? ',"Links.TraceId":[],"Links.SpanId":[],"Links.TraceState":[],"Links.Attributes":[]}'
      : `,"Links.TraceId":${strArrayOf(links, (l) => l.context.traceId)},"Links.SpanId":${strArrayOf(links, (l) => l.context.spanId)}` +
        `,"Links.TraceState":${strArrayOf(links, (l) => l.context.traceState?.serialize() ?? '')}` +
        `,"Links.Attributes":${mapArray(links)}}`);
  return oddValue ? JSON.stringify(toOtelSpanRow(span)) : line;
}
