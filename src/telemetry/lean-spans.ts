import { randomFillSync } from 'node:crypto';
import { type SpanContext, SpanKind, SpanStatusCode, diag } from '@opentelemetry/api';
import { TraceState, getNumberFromEnv, getStringFromEnv } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { AttemptRecord, CallRecord } from '../core/call-record.js';
import { type EndedSpanSink, spanTimes } from './ended-span.js';
import { type LeanEndedSpan, writeLeanSpan } from './lean-otlp/encode-lean-span.js';
import type { LeanBatchSpanProcessor } from './lean-otlp/lean-span-processor.js';
import type { AttemptHandle, AttemptStart, CallHandle, CallStart } from './recorder-types.js';
import * as S from './semconv.js';
import {
  type AttributeWriter,
  AttributesObjectWriter,
  type LedgerIds,
  writeAttemptAttributes,
  writeCallAttributes,
} from './span-attributes.js';
import type { SpanLedger } from './span-ledger.js';
import { newCallId } from '../core/ids.js';

/**
 * The lean span path (SWITCHYARD_SPANS=lean): no SDK Span objects on the request path. A call
 * parses the app's `traceparent`, samples (the OTEL_TRACES_SAMPLER rules), takes its ids from a
 * pooled random buffer; when an attempt or the call ends, its span is written straight to OTLP/JSON
 * bytes (attributes written straight into the JSON, span-attributes.ts) and queued on the lean
 * batcher. Names, kinds, attributes (in the same order), status, times, flags, resource and scope are
 * those of the SDK path (recorder.ts); a unit test compares the two.
 *
 * Span sinks (the ClickHouse `otel_traces` rows) get the ended span itself (ended-span.ts): the
 * handle keeps the records and writes its attributes when the sink serializes its batch. Span
 * processors that want ReadableSpans (the official OTLP exporter with SWITCHYARD_OTLP_EXPORTER=otel,
 * or any extra processor) get small ReadableSpan-shaped objects, built only when one is registered.
 * With no output at all, sampled spans still get ids and propagate, and nothing is encoded.
 */
export interface LeanSpanOutput {
  resource: Resource;
  sampler: LeanSampler;
  /** OTLP/HTTP JSON export, or undefined when spans are not exported over OTLP. */
  batcher: LeanBatchSpanProcessor | undefined;
  /** Sinks fed the ended spans themselves. */
  spanSinks: readonly EndedSpanSink[];
  /** Processors fed ReadableSpan-shaped objects at span end (onEnd only). */
  processors: readonly SpanProcessor[];
  /**
   * The span ledger (span-ledger.ts): every call's spans, sampled or not, with the ledger's
   * attributes (span-attributes.ts `LedgerIds`). Undefined: the sinks take the records as rows.
   */
  ledger: SpanLedger | undefined;
  /** Whether any of the above is there: otherwise ended spans are not emitted. */
  exporting: boolean;
}

/** A LeanSpanOutput, with `exporting` worked out, and the batcher feeding the ledger if there are both. */
export function leanSpanOutput(o: Omit<LeanSpanOutput, 'exporting' | 'ledger'> & { ledger?: SpanLedger }): LeanSpanOutput {
  if (o.batcher !== undefined && o.ledger !== undefined) o.batcher.feedLedger(o.ledger);
  return {
    ...o,
    ledger: o.ledger,
    exporting: o.batcher !== undefined || o.spanSinks.length > 0 || o.processors.length > 0 || o.ledger !== undefined,
  };
}

/** What a lean call needs from its recorder. */
export interface LeanHost {
  openSpans: number;
  readonly captureContent: boolean;
  deliver(record: CallRecord): void;
}

export const LEAN_SCOPE: ReadableSpan['instrumentationScope'] = {
  name: S.INSTRUMENTATION_SCOPE,
  version: undefined,
  schemaUrl: undefined,
};

// --- Sampling --------------------------------------------------------------------------------------

/**
 * The SDK samplers, as data: `parentBased` follows a valid parent's sampled flag; otherwise (root
 * spans, or no parent-based rule) `upperBound` decides as TraceIdRatioBasedSampler does (always_on
 * is 2^32, always_off 0).
 */
export interface LeanSampler {
  parentBased: boolean;
  upperBound: number;
}

const ALWAYS = 0x100000000;

/** OTEL_TRACES_SAMPLER / _ARG as NodeSDK reads them (unknown values: the default, parentbased_always_on). */
export function samplerFromEnv(): LeanSampler {
  const name = getStringFromEnv('OTEL_TRACES_SAMPLER');
  switch (name) {
    case 'always_on':
      return { parentBased: false, upperBound: ALWAYS };
    case 'always_off':
      return { parentBased: false, upperBound: 0 };
    case 'parentbased_always_off':
      return { parentBased: true, upperBound: 0 };
    case 'traceidratio':
      return { parentBased: false, upperBound: ratioBound(ratioFromEnv()) };
    case 'parentbased_traceidratio':
      return { parentBased: true, upperBound: ratioBound(ratioFromEnv()) };
    case undefined:
    case 'parentbased_always_on':
      return { parentBased: true, upperBound: ALWAYS };
    default:
      diag.error(`unknown OTEL_TRACES_SAMPLER value "${name}", using default`);
      return { parentBased: true, upperBound: ALWAYS };
  }
}

function ratioFromEnv(): number {
  const ratio = getNumberFromEnv('OTEL_TRACES_SAMPLER_ARG');
  if (ratio == null) {
    diag.error('OTEL_TRACES_SAMPLER_ARG is blank, defaulting to 1.');
    return 1;
  }
  if (ratio < 0 || ratio > 1) {
    diag.error(`OTEL_TRACES_SAMPLER_ARG=${ratio} was given, but it is out of range ([0..1]), defaulting to 1.`);
    return 1;
  }
  return ratio;
}

/** TraceIdRatioBasedSampler's bound. */
export function ratioBound(ratio: number): number {
  const r = Number.isNaN(ratio) ? 0 : ratio >= 1 ? 1 : ratio <= 0 ? 0 : ratio;
  return r === 1 ? ALWAYS : Math.floor(r * 0xffffffff);
}

/** TraceIdRatioBasedSampler's accumulation: the four 32-bit words of the trace id, XORed. */
function accumulate(traceId: string): number {
  let acc = 0;
  for (let i = 0; i < 32; i += 8) acc = (acc ^ Number.parseInt(traceId.slice(i, i + 8), 16)) >>> 0;
  return acc;
}

function sampleRoot(s: LeanSampler, traceId: string): boolean {
  if (s.upperBound === ALWAYS) return true;
  if (s.upperBound === 0) return false;
  return accumulate(traceId) < s.upperBound;
}

// --- Ids and traceparent -------------------------------------------------------------------------

const POOL = Buffer.allocUnsafe(4096);
let poolPos = POOL.length;
/** POOL in hex, made once per refill: ids are slices of it (V8 slices share the characters). */
let poolHex = '';

/** Random lowercase hex of `bytes` bytes (8 or 16), never all zeros. */
export function randomHex(bytes: 8 | 16): string {
  for (;;) {
    if (poolPos + bytes > POOL.length) {
      randomFillSync(POOL);
      poolHex = POOL.toString('hex');
      poolPos = 0;
    }
    const at = poolPos;
    poolPos += bytes;
    for (let i = at; i < at + bytes; i++) {
      if (POOL[i] !== 0) return poolHex.slice(2 * at, 2 * (at + bytes));
    }
  }
}

/** W3CTraceContextPropagator's traceparent rule. */
const TRACE_PARENT = /^\s?((?!ff)[\da-f]{2})-((?![0]{32})[\da-f]{32})-((?![0]{16})[\da-f]{16})-([\da-f]{2})(-.*)?\s?$/;

export interface RemoteParent {
  traceId: string;
  spanId: string;
  traceFlags: number;
}

export function parseTraceparent(value: string): RemoteParent | null {
  const m = TRACE_PARENT.exec(value);
  if (m === null || (m[1] === '00' && m[5])) return null;
  return { traceId: m[2] as string, spanId: m[3] as string, traceFlags: Number.parseInt(m[4] as string, 16) };
}

function stripQuery(path: string): string {
  const q = path.indexOf('?');
  return q === -1 ? path : path.slice(0, q);
}

// --- Handles (each is also the EndedSpan of its span once ended) ---------------------------------

/**
 * `${a} ${b}`, the last one remembered: span names repeat from call to call (`POST
 * /v1/chat/completions`, `chat gpt-4o-mini`), and the same string each time saves building and
 * flattening a new one, and comparing it (the encoder keeps a name's bytes while it repeats).
 */
class SpanNames {
  private a = '';
  private b = '';
  private last = ' ';

  name(a: string, b: string): string {
    if (a !== this.a || b !== this.b) {
      this.a = a;
      this.b = b;
      this.last = `${a} ${b}`;
    }
    return this.last;
  }
}

const CALL_NAMES = new SpanNames();
const ATTEMPT_NAMES = new SpanNames();

export class LeanCallSpan implements CallHandle, LeanEndedSpan, LedgerIds {
  readonly traceId: string;
  readonly spanId: string;
  readonly callId: string;
  feature = '';
  /** An attempt span the ledger did not get: the call's record goes to it instead (`missed`). */
  ledgerMissed = false;
  readonly sampled: boolean;
  readonly traceStateObject: TraceState | undefined;
  readonly traceState: string | undefined;
  readonly parentSpanId: string | undefined;
  readonly parentFlags: number;
  readonly parentRemote: boolean;
  readonly name: string;
  readonly startMs: number;
  endMs = 0;
  errorMessage: string | undefined = undefined;
  private readonly method: string;
  private readonly path: string;
  private record: CallRecord | undefined = undefined;
  private ended = false;

  constructor(
    private readonly host: LeanHost,
    readonly out: LeanSpanOutput,
    start: CallStart,
  ) {
    const parent = start.traceparent === undefined ? null : parseTraceparent(start.traceparent);
    if (parent !== null) {
      this.traceId = parent.traceId;
      this.traceStateObject = start.tracestate ? new TraceState(start.tracestate) : undefined;
      this.sampled = out.sampler.parentBased ? (parent.traceFlags & 1) === 1 : sampleRoot(out.sampler, parent.traceId);
      this.parentSpanId = parent.spanId;
      this.parentFlags = parent.traceFlags;
      this.parentRemote = true;
    } else {
      this.traceId = randomHex(16);
      this.traceStateObject = undefined;
      this.sampled = sampleRoot(out.sampler, this.traceId);
      this.parentSpanId = undefined;
      this.parentFlags = 0;
      this.parentRemote = false;
    }
    this.traceState = this.traceStateObject?.serialize();
    this.spanId = randomHex(8);
    this.method = start.method;
    this.path = stripQuery(start.path);
    this.name = CALL_NAMES.name(start.method, this.path);
    this.startMs = start.startedAtMs;
    this.callId = newCallId(start.startedAtMs);
    host.openSpans++;
  }

  setFeature(name: string): void {
    this.feature = name;
  }

  get kind(): SpanKind {
    return SpanKind.SERVER;
  }
  get ledgerRecord(): CallRecord | undefined {
    return this.record;
  }
  get resource(): Resource {
    return this.out.resource;
  }
  get scope(): ReadableSpan['instrumentationScope'] {
    return LEAN_SCOPE;
  }

  writeAttributes(w: AttributeWriter): void {
    writeCallAttributes(w, this.method, this.path, this.record as CallRecord, this.host.captureContent, this.out.ledger !== undefined);
  }

  startAttempt(start: AttemptStart): AttemptHandle {
    return new LeanAttemptSpan(this.host, this, start);
  }

  end(record: CallRecord): void {
    if (this.ended) return;
    this.ended = true;
    this.host.openSpans--;
    const ledger = this.out.ledger;
    if ((this.sampled || ledger !== undefined) && this.out.exporting) {
      try {
        this.record = record;
        this.endMs = record.startedAtMs + record.latencyMs;
        this.errorMessage = record.outcome === 'error' ? (record.errorType ?? S.OUTCOME_ERROR) : undefined;
        // After a missed attempt span the record goes down the row path whole: not its span too.
        emit(this.out, this, this.sampled, true, this.ledgerMissed ? undefined : ledger);
      } catch (err) {
        this.ledgerMissed = true;
        diag.warn(`lean span: cannot record SERVER span: ${(err as Error).message}`);
      }
    }
    if (ledger !== undefined && this.ledgerMissed) ledger.missed(record);
    this.host.deliver(record);
  }
}

class LeanAttemptSpan implements AttemptHandle, LeanEndedSpan {
  readonly spanId: string;
  readonly propagationHeaders: Readonly<Record<string, string>>;
  name = '';
  endMs = 0;
  errorMessage: string | undefined = undefined;
  private record: AttemptRecord | undefined = undefined;
  private ended = false;

  constructor(
    private readonly host: LeanHost,
    private readonly call: LeanCallSpan,
    private readonly start: AttemptStart,
  ) {
    this.spanId = randomHex(8);
    const traceparent = `00-${call.traceId}-${this.spanId}-0${call.sampled ? 1 : 0}`;
    const tracestate = call.traceState;
    this.propagationHeaders = tracestate ? { traceparent, tracestate } : { traceparent };
    host.openSpans++;
  }

  get traceId(): string {
    return this.call.traceId;
  }
  get sampled(): boolean {
    return this.call.sampled;
  }
  get parentSpanId(): string {
    return this.call.spanId;
  }
  get parentFlags(): number {
    return 1;
  }
  get parentRemote(): boolean {
    return false;
  }
  get traceState(): string | undefined {
    return this.call.traceState;
  }
  get traceStateObject(): TraceState | undefined {
    return this.call.traceStateObject;
  }
  get kind(): SpanKind {
    return SpanKind.CLIENT;
  }
  get ledgerRecord(): AttemptRecord | undefined {
    return this.record;
  }
  get startMs(): number {
    return this.start.startedAtMs;
  }
  get resource(): Resource {
    return this.call.out.resource;
  }
  get scope(): ReadableSpan['instrumentationScope'] {
    return LEAN_SCOPE;
  }

  writeAttributes(w: AttributeWriter): void {
    const call = this.call;
    writeAttemptAttributes(w, this.start, this.record as AttemptRecord, call.out.ledger !== undefined ? call : undefined);
  }

  end(record: AttemptRecord): void {
    if (this.ended) return;
    this.ended = true;
    this.host.openSpans--;
    const call = this.call;
    if (!(call.sampled || call.out.ledger !== undefined) || !call.out.exporting) return;
    try {
      this.record = record;
      this.name = ATTEMPT_NAMES.name(this.start.operation, this.start.model);
      this.endMs = record.startedAtMs + record.durationMs;
      this.errorMessage = record.outcome === 'error' ? (record.errorType ?? S.OUTCOME_ERROR) : undefined;
      emit(call.out, this, call.sampled, false, call.out.ledger);
    } catch (err) {
      call.ledgerMissed = true;
      diag.warn(`lean span: cannot record CLIENT span: ${(err as Error).message}`);
    }
  }
}

// --- Emitting ------------------------------------------------------------------------------------

/**
 * Hands an ended span to every output: a sampled one to all of them, an unsampled one to the span
 * ledger only. The OTLP JSON is encoded first: if that throws (a record of an unexpected shape),
 * the span goes nowhere, as before (and its call's record goes to the ledger as a row). A span the
 * batcher took reaches the ledger from the batcher's buffer (in bulk, `feedLedger`); the ledger
 * encodes any other itself.
 */
function emit(out: LeanSpanOutput, span: LeanEndedSpan, sampled: boolean, call: boolean, ledger: SpanLedger | undefined): void {
  const batcher = out.batcher;
  // A span the batcher queues with a ledger call reaches the ledger from the batcher, in bulk.
  const queued =
    sampled &&
    batcher !== undefined &&
    batcher.enqueue(out.resource, LEAN_SCOPE, writeLeanSpan, span, ledger !== undefined ? call : undefined);
  if (!queued) ledger?.encode(out.resource, LEAN_SCOPE, writeLeanSpan, span, call);
  if (!sampled) return;
  for (const sink of out.spanSinks) {
    try {
      sink.writeSpan(span);
    } catch (err) {
      diag.warn(`lean span: a span sink failed: ${(err as Error).message}`);
    }
  }
  const processors = out.processors;
  if (processors.length > 0) {
    const readable = toReadableSpan(span);
    for (const p of processors) {
      try {
        p.onEnd(readable);
      } catch (err) {
        diag.warn(`lean span: a span processor failed: ${(err as Error).message}`);
      }
    }
  }
}

const NO_LINKS: ReadableSpan['links'] = Object.freeze([]) as unknown as ReadableSpan['links'];
const NO_EVENTS: ReadableSpan['events'] = Object.freeze([]) as unknown as ReadableSpan['events'];

/** A finished, sampled span as the SDK's ReadableSpan interface shows it (what exporters read). */
function toReadableSpan(s: LeanEndedSpan): ReadableSpan {
  const [start, end] = spanTimes(s.startMs, s.endMs);
  const traceState = s.traceStateObject;
  const ctx: SpanContext = { traceId: s.traceId, spanId: s.spanId, traceFlags: 1 };
  if (traceState !== undefined) ctx.traceState = traceState;
  let parentSpanContext: SpanContext | undefined;
  if (s.parentSpanId !== undefined) {
    parentSpanContext = { traceId: s.traceId, spanId: s.parentSpanId, traceFlags: s.parentFlags };
    if (s.parentRemote) parentSpanContext.isRemote = true;
    if (traceState !== undefined) parentSpanContext.traceState = traceState;
  }
  let dns = end[1] - start[1];
  let ds = end[0] - start[0];
  if (dns < 0) {
    ds -= 1;
    dns += 1_000_000_000;
  }
  const attributes = new AttributesObjectWriter();
  s.writeAttributes(attributes);
  return {
    name: s.name,
    kind: s.kind,
    spanContext: () => ctx,
    parentSpanContext,
    startTime: start,
    endTime: end,
    status: s.errorMessage === undefined ? { code: SpanStatusCode.UNSET } : { code: SpanStatusCode.ERROR, message: s.errorMessage },
    attributes: attributes.attributes,
    links: NO_LINKS,
    events: NO_EVENTS,
    duration: [ds, dns],
    ended: true,
    resource: s.resource,
    instrumentationScope: LEAN_SCOPE,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}
