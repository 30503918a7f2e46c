import type { HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { utf8 } from '../../core/json-bytes.js';
import { SpanBytes } from './span-bytes.js';
import { writeAttributesObject } from './otlp-attribute-bytes.js';

/**
 * ReadableSpan → one OTLP/JSON span object, written straight into SpanBytes, with the same fields
 * and values that `JsonTraceSerializer` (@opentelemetry/otlp-transformer) writes: hex ids,
 * nanosecond times as decimal strings, kind + 1, integers as `intValue`, other numbers as
 * `doubleValue`, flags with the HAS_IS_REMOTE bit. No intermediate object tree or string.
 */
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

export function writeSpanJson(w: SpanBytes, span: ReadableSpan): void {
  const ctx = span.spanContext();
  const parent = span.parentSpanContext;
  w.bytes(TRACE_ID);
  w.raw(ctx.traceId);
  w.bytes(SPAN_ID);
  w.raw(ctx.spanId);
  if (parent?.spanId) {
    w.bytes(PARENT_SPAN_ID);
    w.raw(parent.spanId);
  }
  w.byte(QUOTE);
  const traceState = ctx.traceState?.serialize();
  if (traceState !== undefined) {
    w.bytes(TRACE_STATE);
    w.string(traceState);
  }
  w.bytes(NAME);
  w.string(span.name);
  w.bytes(KIND);
  w.int(span.kind + 1);
  w.bytes(START);
  writeHrTime(w, span.startTime);
  w.bytes(END);
  writeHrTime(w, span.endTime);
  w.bytes(ATTRIBUTES);
  writeAttributesObject(w, span.attributes);
  w.bytes(DROPPED_ATTRIBUTES);
  w.int(span.droppedAttributesCount);
  w.bytes(EVENTS);
  span.events.forEach((e, i) => {
    if (i > 0) w.byte(COMMA);
    w.bytes(EVENT_ATTRIBUTES);
    writeAttributesObject(w, e.attributes ?? {});
    w.bytes(EVENT_NAME);
    w.string(e.name);
    w.bytes(EVENT_TIME);
    writeHrTime(w, e.time);
    w.bytes(EVENT_DROPPED);
    w.int(e.droppedAttributesCount ?? 0);
    w.byte(CLOSE_BRACE);
  });
  w.bytes(DROPPED_EVENTS);
  w.int(span.droppedEventsCount);
  w.bytes(STATUS);
  w.int(span.status.code);
  if (span.status.message !== undefined) {
    w.bytes(STATUS_MESSAGE);
    w.string(span.status.message);
  }
  w.bytes(LINKS);
  span.links.forEach((link, i) => {
    if (i > 0) w.byte(COMMA);
    writeLink(w, link);
  });
  w.bytes(DROPPED_LINKS);
  w.int(span.droppedLinksCount);
  w.bytes(FLAGS);
  w.int(flags(ctx.traceFlags, parent?.isRemote));
  w.byte(CLOSE_BRACE);
}

/** The same, as a string. */
export function encodeSpanJson(span: ReadableSpan): string {
  const w = SCRATCH;
  w.reset(w.buf, 0);
  writeSpanJson(w, span);
  return w.text();
}

function writeLink(w: SpanBytes, link: ReadableSpan['links'][number]): void {
  const c = link.context;
  w.bytes(LINK_ATTRIBUTES);
  writeAttributesObject(w, link.attributes ?? {});
  w.bytes(LINK_SPAN_ID);
  w.raw(c.spanId);
  w.bytes(LINK_TRACE_ID);
  w.raw(c.traceId);
  w.byte(QUOTE);
  const ts = c.traceState?.serialize();
  if (ts !== undefined) {
    w.bytes(TRACE_STATE);
    w.string(ts);
  }
  w.bytes(LINK_DROPPED);
  w.int(link.droppedAttributesCount ?? 0);
  w.bytes(FLAGS);
  w.int(flags(c.traceFlags, c.isRemote));
  w.byte(CLOSE_BRACE);
}

function flags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | HAS_IS_REMOTE | (isRemote ? IS_REMOTE : 0);
}

function writeHrTime(w: SpanBytes, t: HrTime): void {
  if (!w.nanos(Math.trunc(t[0]), Math.trunc(t[1]))) w.raw(hrTimeNanos(t));
}

/** Nanoseconds since the epoch, exactly (BigInt arithmetic, as the official encoder does). */
export function hrTimeNanos(t: HrTime): string {
  const s = Math.trunc(t[0]);
  const ns = Math.trunc(t[1]);
  // Fast path: both parts are small non-negative integers, so a decimal concatenation is exact.
  if (s >= 0 && ns >= 0 && ns < 1e9) return s === 0 ? String(ns) : `${s}${String(ns).padStart(9, '0')}`;
  return (BigInt(s) * 1_000_000_000n + BigInt(ns)).toString();
}

/** Reused by the string wrapper (nothing else writes to it). */
const SCRATCH = new SpanBytes();
const QUOTE = 0x22;
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;
/** The fields every OTLP/JSON span starts with, shared with the lean span encoder (encode-lean-span.ts). */
export const TRACE_ID = utf8('{"traceId":"');
export const SPAN_ID = utf8('","spanId":"');
export const PARENT_SPAN_ID = utf8('","parentSpanId":"');
const TRACE_STATE = utf8(',"traceState":');
export const NAME = utf8(',"name":');
export const KIND = utf8(',"kind":');
export const START = utf8(',"startTimeUnixNano":"');
export const END = utf8('","endTimeUnixNano":"');
export const ATTRIBUTES = utf8('","attributes":');
const DROPPED_ATTRIBUTES = utf8(',"droppedAttributesCount":');
const EVENTS = utf8(',"events":[');
const EVENT_ATTRIBUTES = utf8('{"attributes":');
const EVENT_NAME = utf8(',"name":');
const EVENT_TIME = utf8(',"timeUnixNano":"');
const EVENT_DROPPED = utf8('","droppedAttributesCount":');
const DROPPED_EVENTS = utf8('],"droppedEventsCount":');
const STATUS = utf8(',"status":{"code":');
const STATUS_MESSAGE = utf8(',"message":');
const LINKS = utf8('},"links":[');
const LINK_ATTRIBUTES = utf8('{"attributes":');
const LINK_SPAN_ID = utf8(',"spanId":"');
const LINK_TRACE_ID = utf8('","traceId":"');
const LINK_DROPPED = utf8(',"droppedAttributesCount":');
const DROPPED_LINKS = utf8('],"droppedLinksCount":');
const FLAGS = utf8(',"flags":');
