import type { Attributes } from '@opentelemetry/api';
import type { EndedSpan } from '../../../telemetry/ended-span.js';
import { SPAN_KINDS } from './otel-span-row.js';
import { utf8 } from '../../../core/json-bytes.js';
import type { RowBytes } from './row-bytes.js';
import { resourceColumnBytes } from './span-attributes-bytes.js';

/**
 * The run of `otel_traces` columns that is the same for every span of one name and kind (spans of
 * one process share their resource and scope): `,"SpanName":…,"SpanKind":…,"ServiceName":…,
 * "ResourceAttributes":{…},"ScopeName":…,"ScopeVersion":…,"SpanAttributes":`. Kept as bytes per
 * (name, kind) from the second span of that name on (a name seen once, such as a passthrough path
 * with an id in it, costs no copy), and copied as one piece. An entry is checked against the span's
 * resource attributes object and scope before use. Bounded: cleared when it grows past the limit.
 */
interface Entry {
  resource: Attributes | undefined;
  scopeName: string;
  scopeVersion: string;
  /** Undefined until the name comes a second time. */
  bytes: Uint8Array | undefined;
}

const BY_KIND = SPAN_KINDS.map(() => new Map<string, Entry>());
const MAX_NAMES = 1024;

const F = {
  spanName: utf8(',"SpanName":'),
  scopeName: utf8(',"ScopeName":'),
  scopeVersion: utf8(',"ScopeVersion":'),
  spanAttributes: utf8(',"SpanAttributes":'),
};
const KINDS = SPAN_KINDS.map((k) => utf8(`,"SpanKind":"${k}",`));
const KIND_UNSPECIFIED = utf8(',"SpanKind":"SPAN_KIND_UNSPECIFIED",');

/** Writes the run for a span whose name, scope name and scope version are strings. */
export function writeSpanNameColumns(w: RowBytes, span: EndedSpan, scopeVersion: string): void {
  const resource = span.resource.attributes;
  const scopeName = span.scope.name;
  const names = BY_KIND[span.kind];
  const entry = names?.get(span.name);
  const same = entry !== undefined && entry.resource === resource && entry.scopeName === scopeName && entry.scopeVersion === scopeVersion;
  if (same && entry.bytes !== undefined) {
    w.bytes(entry.bytes);
    return;
  }
  const start = w.pos;
  w.bytes(F.spanName);
  w.string(span.name);
  w.bytes(KINDS[span.kind] ?? KIND_UNSPECIFIED);
  w.bytes(resourceColumnBytes(resource));
  w.bytes(F.scopeName);
  w.string(scopeName);
  w.bytes(F.scopeVersion);
  w.string(scopeVersion);
  w.bytes(F.spanAttributes);
  if (names === undefined) return;
  if (same) entry.bytes = new Uint8Array(w.buf.subarray(start, w.pos));
  else {
    if (names.size >= MAX_NAMES) names.clear();
    names.set(span.name, { resource, scopeName, scopeVersion, bytes: undefined });
  }
}
