import type { Attributes } from '@opentelemetry/api';
import type { EndedSpan } from '../../../telemetry/ended-span.js';
import { SPAN_KINDS } from './otel-span-row.js';
import { frag, RowBytes } from './row-bytes.js';
import { resourceColumnBytes } from './span-attributes-bytes.js';

/**
 * The run of `otel_traces` columns that is the same for every span of one name and kind (spans of
 * one process share their resource and scope): `,"SpanName":…,"SpanKind":…,"ServiceName":…,
 * "ResourceAttributes":{…},"ScopeName":…,"ScopeVersion":…,"SpanAttributes":`, encoded once per
 * (name, kind) and copied as one piece. An entry is checked against the span's resource attributes
 * object and scope before use. Bounded: cleared when it grows past the limit.
 */
interface Entry {
  resource: Attributes;
  scopeName: string;
  scopeVersion: string;
  bytes: Uint8Array;
}

const BY_KIND = SPAN_KINDS.map(() => new Map<string, Entry>());
const MAX_NAMES = 1024;

const F = {
  spanName: frag(',"SpanName":'),
  scopeName: frag(',"ScopeName":'),
  scopeVersion: frag(',"ScopeVersion":'),
  spanAttributes: frag(',"SpanAttributes":'),
};
const KINDS = SPAN_KINDS.map((k) => frag(`,"SpanKind":"${k}",`));
const KIND_UNSPECIFIED = frag(',"SpanKind":"SPAN_KIND_UNSPECIFIED",');

/** Writes the run for a span whose name, scope name and scope version are strings. */
export function writeSpanNameColumns(w: RowBytes, span: EndedSpan, scopeVersion: string): void {
  const resource = span.resource.attributes;
  const names = BY_KIND[span.kind];
  const entry = names?.get(span.name);
  if (entry !== undefined && entry.resource === resource && entry.scopeName === span.scope.name && entry.scopeVersion === scopeVersion) {
    w.raw(entry.bytes);
    return;
  }
  if (names === undefined || typeof resource !== 'object' || resource === null) {
    writeColumns(w, span, scopeVersion);
    return;
  }
  const scratch = new RowBytes(2048);
  writeColumns(scratch, span, scopeVersion);
  const bytes = new Uint8Array(scratch.buf.subarray(0, scratch.pos));
  if (names.size >= MAX_NAMES) names.clear();
  names.set(span.name, { resource, scopeName: span.scope.name, scopeVersion, bytes });
  w.raw(bytes);
}

function writeColumns(w: RowBytes, span: EndedSpan, scopeVersion: string): void {
  w.raw(F.spanName);
  w.str(span.name);
  w.raw(KINDS[span.kind] ?? KIND_UNSPECIFIED);
  w.raw(resourceColumnBytes(span.resource.attributes));
  w.raw(F.scopeName);
  w.str(span.scope.name);
  w.raw(F.scopeVersion);
  w.str(scopeVersion);
  w.raw(F.spanAttributes);
}
