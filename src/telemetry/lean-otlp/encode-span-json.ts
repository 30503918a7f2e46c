import type { Attributes, AttributeValue, HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { AttributeWriter } from '../span-attributes.js';

/**
 * ReadableSpan → one OTLP/JSON span object, as a string, with the same fields and values that
 * `JsonTraceSerializer` (@opentelemetry/otlp-transformer) writes: hex ids, nanosecond times as
 * decimal strings, kind + 1, integers as `intValue`, other numbers as `doubleValue`, flags with the
 * HAS_IS_REMOTE bit. Written straight to a string: no intermediate object tree to build, walk and
 * collect.
 */
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

export function encodeSpanJson(span: ReadableSpan): string {
  const ctx = span.spanContext();
  const parent = span.parentSpanContext;
  let out = `{"traceId":"${ctx.traceId}","spanId":"${ctx.spanId}"`;
  if (parent?.spanId) out += `,"parentSpanId":"${parent.spanId}"`;
  const traceState = ctx.traceState?.serialize();
  if (traceState !== undefined) out += `,"traceState":${JSON.stringify(traceState)}`;
  out += `,"name":${jsonString(span.name)},"kind":${span.kind + 1}`;
  out += `,"startTimeUnixNano":"${hrTimeNanos(span.startTime)}","endTimeUnixNano":"${hrTimeNanos(span.endTime)}"`;
  out += `,"attributes":${encodeAttributes(span.attributes)},"droppedAttributesCount":${span.droppedAttributesCount}`;
  out += `,"events":[${span.events.map((e) => `{"attributes":${encodeAttributes(e.attributes ?? {})},"name":${jsonString(e.name)},"timeUnixNano":"${hrTimeNanos(e.time)}","droppedAttributesCount":${e.droppedAttributesCount ?? 0}}`).join(',')}]`;
  out += `,"droppedEventsCount":${span.droppedEventsCount}`;
  const status = span.status;
  out += `,"status":{"code":${status.code}${status.message !== undefined ? `,"message":${jsonString(status.message)}` : ''}}`;
  out += `,"links":[${span.links.map(encodeLink).join(',')}],"droppedLinksCount":${span.droppedLinksCount}`;
  out += `,"flags":${flags(ctx.traceFlags, parent?.isRemote)}}`;
  return out;
}

function encodeLink(link: ReadableSpan['links'][number]): string {
  const c = link.context;
  const ts = c.traceState?.serialize();
  return `{"attributes":${encodeAttributes(link.attributes ?? {})},"spanId":"${c.spanId}","traceId":"${c.traceId}"${ts !== undefined ? `,"traceState":${JSON.stringify(ts)}` : ''},"droppedAttributesCount":${link.droppedAttributesCount ?? 0},"flags":${flags(c.traceFlags, c.isRemote)}}`;
}

function flags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | HAS_IS_REMOTE | (isRemote ? IS_REMOTE : 0);
}

/** Nanoseconds since the epoch, exactly (BigInt arithmetic, as the official encoder does). */
export function hrTimeNanos(t: HrTime): string {
  const s = Math.trunc(t[0]);
  const ns = Math.trunc(t[1]);
  // Fast path: both parts are small non-negative integers, so a decimal concatenation is exact.
  if (s >= 0 && ns >= 0 && ns < 1e9) return s === 0 ? String(ns) : `${s}${String(ns).padStart(9, '0')}`;
  return (BigInt(s) * 1_000_000_000n + BigInt(ns)).toString();
}

export function encodeAttributes(attributes: Attributes): string {
  let out = '[';
  let first = true;
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key)) continue;
    const v = attributes[key];
    out += `${first ? '' : ','}${keyPrefix(key)}${anyValue(v)}}`;
    first = false;
  }
  return `${out}]`;
}

/**
 * The `attributes` array written one attribute at a time (span-attributes.ts), with the bytes
 * encodeAttributes gives for an object holding the same attributes. Reusable: `reset`, write, `take`.
 */
export class OtlpAttributesWriter implements AttributeWriter {
  private out = '';
  private first = true;

  // Each attribute is appended as few pieces as possible (a cached `,{"key":…,"value":{"stringValue":"`
  // head, the value, a constant tail): the fewer pieces the string is made of, the cheaper it is to
  // flatten and write out.
  attr(key: string, value: AttributeValue | null | undefined): void {
    if (value === undefined || value === null) return;
    const h = heads(key);
    const first = this.first;
    this.first = false;
    let piece: string;
    switch (typeof value) {
      case 'string':
        piece = plainAscii(value)
          ? `${first ? h.str0 : h.str}${value}"}}`
          : `${first ? h.any0 : h.any}{"stringValue":${JSON.stringify(value)}}}`;
        break;
      case 'number':
        piece = Number.isInteger(value)
          ? `${first ? h.int0 : h.int}${value}}}`
          : `${first ? h.any0 : h.any}{"doubleValue":${JSON.stringify(value)}}}`;
        break;
      case 'boolean':
        piece = `${first ? h.any0 : h.any}${value ? BOOL_TRUE : BOOL_FALSE}`;
        break;
      default:
        piece = `${first ? h.any0 : h.any}${anyValue(value)}}`;
    }
    this.out = first ? piece : this.out + piece;
  }

  reset(): void {
    this.out = '';
    this.first = true;
  }

  /** The JSON array; resets the writer. */
  take(): string {
    const out = this.first ? '[]' : `[${this.out}]`;
    this.reset();
    return out;
  }
}

const BOOL_TRUE = '{"boolValue":true}}';
const BOOL_FALSE = '{"boolValue":false}}';

/** Cached heads of one attribute: with and without the leading comma. */
interface Heads {
  any: string;
  any0: string;
  str: string;
  str0: string;
  int: string;
  int0: string;
}

const HEADS = new Map<string, Heads>();

function heads(key: string): Heads {
  let h = HEADS.get(key);
  if (h === undefined) {
    const any0 = keyPrefix(key);
    h = {
      any: `,${any0}`,
      any0,
      str: `,${any0}{"stringValue":"`,
      str0: `${any0}{"stringValue":"`,
      int: `,${any0}{"intValue":`,
      int0: `${any0}{"intValue":`,
    };
    if (HEADS.size < MAX_CACHED_KEYS) HEADS.set(key, h);
  }
  return h;
}

/** Printable ASCII without `"` or `\`: JSON.stringify would only add the quotes. */
function plainAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

/** `{"key":"<key>","value":` per attribute name; the names are a small fixed set (semconv.ts). */
const KEY_PREFIXES = new Map<string, string>();
const MAX_CACHED_KEYS = 1024;

function keyPrefix(key: string): string {
  let prefix = KEY_PREFIXES.get(key);
  if (prefix === undefined) {
    prefix = `{"key":${jsonString(key)},"value":`;
    if (KEY_PREFIXES.size < MAX_CACHED_KEYS) KEY_PREFIXES.set(key, prefix);
  }
  return prefix;
}

function anyValue(v: AttributeValue | undefined | null): string {
  switch (typeof v) {
    case 'string':
      return `{"stringValue":${jsonString(v)}}`;
    case 'number':
      // JSON.stringify writes NaN and ±Infinity as null, like the official serializer does.
      return Number.isInteger(v) ? `{"intValue":${v}}` : `{"doubleValue":${JSON.stringify(v)}}`;
    case 'boolean':
      return `{"boolValue":${v}}`;
    default:
      if (Array.isArray(v)) return `{"arrayValue":{"values":[${v.map((x) => anyValue(x)).join(',')}]}}`;
      return '{}';
  }
}

/** JSON.stringify for strings, skipped for the common case of plain printable ASCII. */
export function jsonString(s: string): string {
  return plainAscii(s) ? `"${s}"` : JSON.stringify(s);
}
