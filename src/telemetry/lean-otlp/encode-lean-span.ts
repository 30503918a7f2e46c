import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { TraceState } from '@opentelemetry/core';
import type { EndedSpan } from '../ended-span.js';
import { ATTRIBUTES, END, KIND, NAME, PARENT_SPAN_ID, SPAN_ID, START, TRACE_ID, hrTimeNanos } from './encode-span-json.js';
import { utf8 } from '../../core/json-bytes.js';
import type { SpanBytes } from './span-bytes.js';
import { OtlpAttributeBytes } from './otlp-attribute-bytes.js';

/** What the lean span path knows of an ended span beyond EndedSpan (lean-spans.ts). */
export interface LeanEndedSpan extends EndedSpan {
  /** False only for the span ledger's spans of unsampled calls (their W3C flags say so). */
  readonly sampled: boolean;
  readonly parentFlags: number;
  readonly parentRemote: boolean;
  readonly traceStateObject: TraceState | undefined;
}

/**
 * A lean span → the OTLP/JSON span object writeSpanJson writes for the equivalent SDK span, byte
 * for byte, written straight into SpanBytes (the batch buffer): constant fragments pre-encoded,
 * ids, times and attributes written in place. Times as the SDK records them (ended-span.ts
 * `spanTimes`: millisToHrTime, an end before the start is the start), without the HrTime arrays.
 */
export function writeLeanSpan(w: SpanBytes, s: LeanEndedSpan): void {
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
  } else w.byte(QUOTE);
  const kind = s.kind === SpanKind.SERVER ? SERVER : s.kind === SpanKind.CLIENT ? CLIENT : undefined;
  if (kind === undefined) writeNameAndKind(w, s.name, s.kind);
  else kind.name.write(w, s.name, s.kind);
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
  const attributes = (kind ?? SERVER).attributes;
  attributes.begin(w);
  s.writeAttributes(attributes);
  // The end of the attributes array, the fields after it and the flags, in as few pieces as can be.
  const owed = attributes.finish() ? 1 : 0;
  const flags = (s.sampled ? 0 : 2) + (s.parentRemote ? 1 : 0);
  if (s.errorMessage === undefined) w.bytes(TAIL_OK[owed * 4 + flags] as Uint8Array);
  else {
    w.bytes(AFTER_ATTRIBUTES_ERROR[owed] as Uint8Array);
    w.string(s.errorMessage);
    w.bytes(TAIL_ERROR[flags] as Uint8Array);
  }
}

function writeNanos(w: SpanBytes, seconds: number, nanos: number): void {
  if (!w.nanos(seconds, nanos)) w.raw(hrTimeNanos([seconds, nanos]));
}

/** `,"name":"…","kind":…,"startTimeUnixNano":"`, for a span name. */
function writeNameAndKind(w: SpanBytes, name: string, kind: SpanKind): void {
  w.bytes(NAME);
  w.string(name);
  w.bytes(KIND);
  w.int(kind + 1);
  w.bytes(START);
}

/**
 * writeNameAndKind for one kind of span, whose name mostly repeats (`POST /v1/chat/completions`,
 * `chat gpt-4o-mini`): a name that came twice in a row is kept as bytes and copied while it keeps
 * coming.
 */
class RepeatedName {
  private last: string | undefined = undefined;
  private bytes: Uint8Array | undefined = undefined;

  write(w: SpanBytes, name: string, kind: SpanKind): void {
    if (name !== this.last) {
      this.last = name;
      this.bytes = undefined;
      writeNameAndKind(w, name, kind);
    } else if (this.bytes !== undefined) w.bytes(this.bytes);
    else {
      const from = w.pos;
      writeNameAndKind(w, name, kind);
      this.bytes = w.copy(from, w.pos);
    }
  }
}

/** Per span kind: its name, and its attributes writer, which remembers the keys of its own list. */
const SERVER = { name: new RepeatedName(), attributes: new OtlpAttributeBytes() };
const CLIENT = { name: new RepeatedName(), attributes: new OtlpAttributeBytes() };

const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;
const SAMPLED = 1;
const QUOTE = 0x22;
const TRACE_STATE = utf8('","traceState":');
const AFTER_ATTRIBUTES = ',"droppedAttributesCount":0,"events":[],"droppedEventsCount":0,"status":{"code":';
const LINKS = (flags: number) => `,"links":[],"droppedLinksCount":0,"flags":${flags}}`;
/** By 2 × (not sampled) + (remote parent). */
const FLAGS = [SAMPLED | HAS_IS_REMOTE, SAMPLED | HAS_IS_REMOTE | IS_REMOTE, HAS_IS_REMOTE, HAS_IS_REMOTE | IS_REMOTE];
const CLOSE = [']', '}}]'];
/** By 4 × (attributes written) + the FLAGS index. */
const TAIL_OK = [0, 1].flatMap((owed) =>
  FLAGS.map((flags) => utf8(`${CLOSE[owed]}${AFTER_ATTRIBUTES}${SpanStatusCode.UNSET}}${LINKS(flags)}`)),
);
/** By (attributes written), then the message, then by the FLAGS index. */
const AFTER_ATTRIBUTES_ERROR = CLOSE.map((close) => utf8(`${close}${AFTER_ATTRIBUTES}${SpanStatusCode.ERROR},"message":`));
const TAIL_ERROR = FLAGS.map((flags) => utf8(`}${LINKS(flags)}`));
