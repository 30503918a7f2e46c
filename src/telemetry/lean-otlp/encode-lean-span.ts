import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { TraceState } from '@opentelemetry/core';
import type { EndedSpan } from '../ended-span.js';
import { hrTimeNanos } from './encode-span-json.js';
import { type JsonBytes, utf8 } from './json-bytes.js';
import { OtlpAttributeBytes } from './otlp-attribute-bytes.js';

/** What the lean span path knows of an ended span beyond EndedSpan (lean-spans.ts). */
export interface LeanEndedSpan extends EndedSpan {
  readonly parentFlags: number;
  readonly parentRemote: boolean;
  readonly traceStateObject: TraceState | undefined;
}

/**
 * A lean span → the OTLP/JSON span object writeSpanJson writes for the equivalent SDK span, byte
 * for byte, written straight into JsonBytes (the batch buffer): constant fragments pre-encoded,
 * ids, times and attributes written in place. Times as the SDK records them (ended-span.ts
 * `spanTimes`: millisToHrTime, an end before the start is the start), without the HrTime arrays.
 */
export function writeLeanSpan(w: JsonBytes, s: LeanEndedSpan): void {
  w.bytes(TRACE_ID);
  w.raw(s.traceId);
  w.bytes(SPAN_ID);
  w.raw(s.spanId);
  if (s.parentSpanId !== undefined) {
    w.bytes(PARENT_SPAN_ID);
    w.raw(s.parentSpanId);
  }
  if (s.traceState !== undefined) {
    w.bytes(TRACE_STATE);
    w.string(s.traceState);
    w.bytes(NAME);
  } else w.bytes(QUOTE_NAME);
  w.string(s.name);
  if (s.kind === SpanKind.SERVER) w.bytes(KIND_SERVER);
  else if (s.kind === SpanKind.CLIENT) w.bytes(KIND_CLIENT);
  else {
    w.bytes(KIND);
    w.int(s.kind + 1);
    w.bytes(START);
  }
  // millisToHrTime, twice.
  const startMs = s.startMs;
  const endMs = s.endMs;
  const startS = Math.trunc(startMs / 1000);
  const startNs = Math.round((startMs % 1000) * 1e6);
  let endS = Math.trunc(endMs / 1000);
  let endNs = Math.round((endMs % 1000) * 1e6);
  if (endS < startS || (endS === startS && endNs < startNs)) {
    endS = startS;
    endNs = startNs;
  }
  writeNanos(w, startS, startNs);
  w.bytes(END);
  writeNanos(w, endS, endNs);
  w.bytes(ATTRIBUTES);
  const attributes = s.kind === SpanKind.CLIENT ? CLIENT_ATTRIBUTES : SERVER_ATTRIBUTES;
  attributes.begin(w);
  s.writeAttributes(attributes);
  attributes.end();
  if (s.errorMessage === undefined) w.bytes(AFTER_ATTRIBUTES_OK);
  else {
    w.bytes(AFTER_ATTRIBUTES_ERROR);
    w.string(s.errorMessage);
    w.byte(CLOSE_BRACE);
  }
  w.bytes(s.parentRemote ? TAIL_REMOTE : TAIL_LOCAL);
}

function writeNanos(w: JsonBytes, seconds: number, nanos: number): void {
  if (!w.nanos(seconds, nanos)) w.raw(hrTimeNanos([seconds, nanos]));
}

/** One writer per span kind: each remembers the keys of its own list (otlp-attribute-bytes.ts). */
const SERVER_ATTRIBUTES = new OtlpAttributeBytes();
const CLIENT_ATTRIBUTES = new OtlpAttributeBytes();

const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;
const SAMPLED = 1;
const CLOSE_BRACE = 0x7d;
const TRACE_ID = utf8('{"traceId":"');
const SPAN_ID = utf8('","spanId":"');
const PARENT_SPAN_ID = utf8('","parentSpanId":"');
const TRACE_STATE = utf8('","traceState":');
const NAME = utf8(',"name":');
const QUOTE_NAME = utf8('","name":');
const KIND = utf8(',"kind":');
const START = utf8(',"startTimeUnixNano":"');
const KIND_SERVER = utf8(`,"kind":${SpanKind.SERVER + 1},"startTimeUnixNano":"`);
const KIND_CLIENT = utf8(`,"kind":${SpanKind.CLIENT + 1},"startTimeUnixNano":"`);
const END = utf8('","endTimeUnixNano":"');
const ATTRIBUTES = utf8('","attributes":');
const AFTER_ATTRIBUTES = ',"droppedAttributesCount":0,"events":[],"droppedEventsCount":0,"status":{"code":';
const AFTER_ATTRIBUTES_OK = utf8(`${AFTER_ATTRIBUTES}${SpanStatusCode.UNSET}}`);
const AFTER_ATTRIBUTES_ERROR = utf8(`${AFTER_ATTRIBUTES}${SpanStatusCode.ERROR},"message":`);
const tail = (flags: number) => utf8(`,"links":[],"droppedLinksCount":0,"flags":${flags}}`);
const TAIL_LOCAL = tail(SAMPLED | HAS_IS_REMOTE);
const TAIL_REMOTE = tail(SAMPLED | HAS_IS_REMOTE | IS_REMOTE);
