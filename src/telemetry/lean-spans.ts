import { randomFillSync } from 'node:crypto';
import { type Attributes, type HrTime, type SpanContext, SpanKind, SpanStatusCode, diag } from '@opentelemetry/api';
import { TraceState, getNumberFromEnv, getStringFromEnv, millisToHrTime } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { AttemptRecord, CallRecord } from '../core/call-record.js';
import { encodeAttributes, hrTimeNanos } from './lean-otlp/encode-span-json.js';
import type { LeanBatchSpanProcessor } from './lean-otlp/lean-span-processor.js';
import type { AttemptHandle, AttemptStart, CallHandle, CallStart } from './recorder-types.js';
import * as S from './semconv.js';

/**
 * The lean span path (SWITCHYARD_SPANS=lean): no SDK Span objects on the request path. A call
 * parses the app's `traceparent`, samples (the OTEL_TRACES_SAMPLER rules), takes its ids from a
 * pooled random buffer; when an attempt or the call ends, its span is written straight to OTLP/JSON
 * bytes and queued on the lean batcher. Names, kinds, attributes (in the same order), status, times,
 * flags, resource and scope are those of the SDK path (recorder.ts); a unit test compares the two.
 *
 * Span processors that want ReadableSpans (the ClickHouse `otel_traces` exporter, or the official
 * OTLP exporter with SWITCHYARD_OTLP_EXPORTER=otel) get small ReadableSpan-shaped objects, built
 * only when such a processor is registered.
 */
export interface LeanSpanOutput {
  resource: Resource;
  sampler: LeanSampler;
  /** OTLP/HTTP JSON export, or undefined when spans are not exported over OTLP. */
  batcher: LeanBatchSpanProcessor | undefined;
  /** Processors fed ReadableSpan-shaped objects at span end (onEnd only). */
  processors: readonly SpanProcessor[];
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
const ZERO_SPAN = '0'.repeat(16);
const ZERO_TRACE = '0'.repeat(32);

/** Random lowercase hex of `bytes` bytes (8 or 16), never all zeros. */
export function randomHex(bytes: 8 | 16): string {
  for (;;) {
    if (poolPos + bytes > POOL.length) {
      randomFillSync(POOL);
      poolPos = 0;
    }
    const s = POOL.toString('hex', poolPos, poolPos + bytes);
    poolPos += bytes;
    if (s !== ZERO_SPAN && s !== ZERO_TRACE) return s;
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

// --- Handles -------------------------------------------------------------------------------------

export class LeanCallSpan implements CallHandle {
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;
  readonly traceState: TraceState | undefined;
  private readonly parent: RemoteParent | null;
  private readonly name: string;
  private readonly method: string;
  private readonly path: string;
  private readonly startedAtMs: number;
  private ended = false;

  constructor(
    private readonly host: LeanHost,
    readonly out: LeanSpanOutput,
    start: CallStart,
  ) {
    const parent = start.traceparent === undefined ? null : parseTraceparent(start.traceparent);
    this.parent = parent;
    if (parent !== null) {
      this.traceId = parent.traceId;
      this.traceState = start.tracestate ? new TraceState(start.tracestate) : undefined;
      this.sampled = out.sampler.parentBased ? (parent.traceFlags & 1) === 1 : sampleRoot(out.sampler, parent.traceId);
    } else {
      this.traceId = randomHex(16);
      this.traceState = undefined;
      this.sampled = sampleRoot(out.sampler, this.traceId);
    }
    this.spanId = randomHex(8);
    this.method = start.method;
    this.path = stripQuery(start.path);
    this.name = `${start.method} ${this.path}`;
    this.startedAtMs = start.startedAtMs;
    host.openSpans++;
  }

  startAttempt(start: AttemptStart): AttemptHandle {
    return new LeanAttemptSpan(this.host, this, start);
  }

  end(record: CallRecord): void {
    if (this.ended) return;
    this.ended = true;
    this.host.openSpans--;
    if (this.sampled) {
      try {
        emit(this.out, {
          traceId: this.traceId,
          spanId: this.spanId,
          parentSpanId: this.parent?.spanId,
          parentFlags: this.parent?.traceFlags ?? 0,
          parentRemote: this.parent !== null,
          traceState: this.traceState,
          name: this.name,
          kind: SpanKind.SERVER,
          startMs: this.startedAtMs,
          endMs: record.startedAtMs + record.latencyMs,
          attributes: callAttributes(this.method, this.path, record, this.host.captureContent),
          errorMessage: record.outcome === 'error' ? (record.errorType ?? S.OUTCOME_ERROR) : undefined,
        });
      } catch (err) {
        diag.warn(`lean span: cannot record SERVER span: ${(err as Error).message}`);
      }
    }
    this.host.deliver(record);
  }
}

class LeanAttemptSpan implements AttemptHandle {
  readonly spanId: string;
  readonly propagationHeaders: Readonly<Record<string, string>>;
  private ended = false;

  constructor(
    private readonly host: LeanHost,
    private readonly call: LeanCallSpan,
    private readonly start: AttemptStart,
  ) {
    this.spanId = randomHex(8);
    const traceparent = `00-${call.traceId}-${this.spanId}-0${call.sampled ? 1 : 0}`;
    const tracestate = call.traceState?.serialize();
    this.propagationHeaders = tracestate ? { traceparent, tracestate } : { traceparent };
    host.openSpans++;
  }

  end(record: AttemptRecord): void {
    if (this.ended) return;
    this.ended = true;
    this.host.openSpans--;
    const call = this.call;
    if (!call.sampled) return;
    const start = this.start;
    try {
      emit(call.out, {
        traceId: call.traceId,
        spanId: this.spanId,
        parentSpanId: call.spanId,
        parentFlags: 1,
        parentRemote: false,
        traceState: call.traceState,
        name: `${start.operation} ${start.model}`,
        kind: SpanKind.CLIENT,
        startMs: start.startedAtMs,
        endMs: record.startedAtMs + record.durationMs,
        attributes: attemptAttributes(start, record),
        errorMessage: record.outcome === 'error' ? (record.errorType ?? S.OUTCOME_ERROR) : undefined,
      });
    } catch (err) {
      diag.warn(`lean span: cannot record CLIENT span: ${(err as Error).message}`);
    }
  }
}

// --- Attributes (the same keys, values and order as recorder.ts sets them) ------------------------

export function callAttributes(method: string, path: string, r: CallRecord, captureContent: boolean): Attributes {
  const a: Attributes = {
    [S.ATTR_HTTP_REQUEST_METHOD]: method,
    [S.ATTR_URL_PATH]: path,
    [S.ATTR_SWITCHYARD_CALL_ID]: r.callId,
    [S.ATTR_SWITCHYARD_FEATURE]: r.feature,
    [S.ATTR_SWITCHYARD_ROUTE]: r.route,
    [S.ATTR_SWITCHYARD_OPERATION]: r.operation,
    [S.ATTR_SWITCHYARD_OUTCOME]: r.outcome,
    [S.ATTR_SWITCHYARD_STREAMED]: r.streamed,
    [S.ATTR_SWITCHYARD_REQUESTED_MODEL]: r.requestedModel,
    [S.ATTR_SWITCHYARD_ATTEMPT_COUNT]: r.attemptCount,
    [S.ATTR_SWITCHYARD_RETRY_COUNT]: r.retryCount,
    [S.ATTR_SWITCHYARD_FALLBACK_PATH]: r.fallbackPath.join('>'),
    [S.ATTR_SWITCHYARD_FINAL_PROVIDER]: r.finalProvider,
    [S.ATTR_SWITCHYARD_FINAL_MODEL]: r.finalModel,
  };
  if (r.usage.inputTokens != null) a[S.ATTR_SWITCHYARD_USAGE_INPUT_TOKENS] = r.usage.inputTokens;
  if (r.usage.outputTokens != null) a[S.ATTR_SWITCHYARD_USAGE_OUTPUT_TOKENS] = r.usage.outputTokens;
  if (r.costUsd != null) a[S.ATTR_SWITCHYARD_COST_USD] = r.costUsd;
  put(a, S.ATTR_SWITCHYARD_OVERHEAD_MS, r.overheadMs);
  if (r.timeToFirstChunkMs != null) a[S.ATTR_SWITCHYARD_TIME_TO_FIRST_CHUNK_MS] = r.timeToFirstChunkMs;
  put(a, S.ATTR_SWITCHYARD_CONFIG_HASH, r.configHash);
  put(a, S.ATTR_SWITCHYARD_PRICE_TABLE_VERSION, r.priceTableVersion);
  put(a, S.ATTR_HTTP_RESPONSE_STATUS_CODE, r.httpStatus);
  if (captureContent && r.content !== undefined) {
    if (r.content.input != null) a[S.ATTR_SWITCHYARD_CONTENT_INPUT] = r.content.input;
    if (r.content.output != null) a[S.ATTR_SWITCHYARD_CONTENT_OUTPUT] = r.content.output;
  }
  if (r.outcome === 'error' && r.errorType != null) a[S.ATTR_ERROR_TYPE] = r.errorType;
  return dropNullish(a);
}

export function attemptAttributes(start: AttemptStart, r: AttemptRecord): Attributes {
  const a: Attributes = {
    [S.ATTR_GEN_AI_OPERATION_NAME]: start.operation,
    [S.ATTR_GEN_AI_PROVIDER_NAME]: start.providerName,
    [S.ATTR_GEN_AI_REQUEST_MODEL]: start.model,
    [S.ATTR_GEN_AI_REQUEST_STREAM]: start.stream,
    [S.ATTR_SERVER_ADDRESS]: start.serverAddress,
    [S.ATTR_SWITCHYARD_PROVIDER]: start.provider,
  };
  if (start.serverPort != null) a[S.ATTR_SERVER_PORT] = start.serverPort;
  put(a, S.ATTR_SWITCHYARD_ATTEMPT_INDEX, r.index);
  put(a, S.ATTR_SWITCHYARD_ATTEMPT_TARGET_INDEX, r.targetIndex);
  put(a, S.ATTR_SWITCHYARD_ATTEMPT_TRY, r.tryNumber);
  if (r.responseModel != null) a[S.ATTR_GEN_AI_RESPONSE_MODEL] = r.responseModel;
  if (r.responseId != null) a[S.ATTR_GEN_AI_RESPONSE_ID] = r.responseId;
  if (r.finishReasons != null) a[S.ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = r.finishReasons;
  const u = r.usage;
  if (u !== undefined) {
    if (u.inputTokens != null) a[S.ATTR_GEN_AI_USAGE_INPUT_TOKENS] = u.inputTokens;
    if (u.outputTokens != null) a[S.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = u.outputTokens;
    if (u.cacheReadTokens != null) a[S.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = u.cacheReadTokens;
    if (u.cacheWriteTokens != null) a[S.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = u.cacheWriteTokens;
    if (u.reasoningTokens != null) a[S.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = u.reasoningTokens;
  }
  if (r.timeToFirstChunkMs != null) a[S.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = r.timeToFirstChunkMs / 1000;
  if (r.httpStatus != null) a[S.ATTR_HTTP_RESPONSE_STATUS_CODE] = r.httpStatus;
  if (r.costUsd != null) a[S.ATTR_SWITCHYARD_COST_USD] = r.costUsd;
  if (r.outcome === 'error' && r.errorType != null) a[S.ATTR_ERROR_TYPE] = r.errorType;
  return dropNullish(a);
}

/** Sets a value the record types declare as always present (the SDK would skip a nullish one). */
function put(a: Attributes, key: string, v: string | number | boolean | undefined | null): void {
  if (v != null) a[key] = v;
}

/** Span.setAttribute skips null/undefined: so do we, for the fields set from the start objects. */
function dropNullish(a: Attributes): Attributes {
  for (const k in a) if (a[k] == null) delete a[k];
  return a;
}

// --- Emitting ------------------------------------------------------------------------------------

interface LeanSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  parentFlags: number;
  parentRemote: boolean;
  traceState: TraceState | undefined;
  name: string;
  kind: SpanKind;
  startMs: number;
  endMs: number;
  attributes: Attributes;
  /** Set when the status is ERROR. */
  errorMessage: string | undefined;
}

/** Span.end's times: epoch ms → HrTime as millisToHrTime does; an end before the start is the start. */
function times(startMs: number, endMs: number): [HrTime, HrTime] {
  const start = millisToHrTime(startMs);
  const end = millisToHrTime(endMs);
  if (end[0] < start[0] || (end[0] === start[0] && end[1] < start[1])) return [start, [start[0], start[1]]];
  return [start, end];
}

const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

function emit(out: LeanSpanOutput, s: LeanSpan): void {
  const [start, end] = times(s.startMs, s.endMs);
  if (out.batcher !== undefined) out.batcher.enqueue(out.resource, LEAN_SCOPE, Buffer.from(encodeLeanSpan(s, start, end)));
  const processors = out.processors;
  if (processors.length > 0) {
    const readable = toReadableSpan(s, start, end, out.resource);
    for (const p of processors) {
      try {
        p.onEnd(readable);
      } catch (err) {
        diag.warn(`lean span: a span processor failed: ${(err as Error).message}`);
      }
    }
  }
}

/** The OTLP/JSON span object encodeSpanJson writes for the equivalent SDK span. */
export function encodeLeanSpan(s: LeanSpan, start: HrTime, end: HrTime): string {
  let out = `{"traceId":"${s.traceId}","spanId":"${s.spanId}"`;
  if (s.parentSpanId !== undefined) out += `,"parentSpanId":"${s.parentSpanId}"`;
  if (s.traceState !== undefined) out += `,"traceState":${JSON.stringify(s.traceState.serialize())}`;
  out += `,"name":${JSON.stringify(s.name)},"kind":${s.kind + 1}`;
  out += `,"startTimeUnixNano":"${hrTimeNanos(start)}","endTimeUnixNano":"${hrTimeNanos(end)}"`;
  out += `,"attributes":${encodeAttributes(s.attributes)},"droppedAttributesCount":0,"events":[],"droppedEventsCount":0`;
  out +=
    s.errorMessage === undefined
      ? ',"status":{"code":0}'
      : `,"status":{"code":${SpanStatusCode.ERROR},"message":${JSON.stringify(s.errorMessage)}}`;
  out += `,"links":[],"droppedLinksCount":0,"flags":${1 | HAS_IS_REMOTE | (s.parentRemote ? IS_REMOTE : 0)}}`;
  return out;
}

const NO_LINKS: ReadableSpan['links'] = Object.freeze([]) as unknown as ReadableSpan['links'];
const NO_EVENTS: ReadableSpan['events'] = Object.freeze([]) as unknown as ReadableSpan['events'];

/** A finished, sampled span as the SDK's ReadableSpan interface shows it (what exporters read). */
function toReadableSpan(s: LeanSpan, start: HrTime, end: HrTime, resource: Resource): ReadableSpan {
  const ctx: SpanContext = { traceId: s.traceId, spanId: s.spanId, traceFlags: 1 };
  if (s.traceState !== undefined) ctx.traceState = s.traceState;
  let parentSpanContext: SpanContext | undefined;
  if (s.parentSpanId !== undefined) {
    parentSpanContext = { traceId: s.traceId, spanId: s.parentSpanId, traceFlags: s.parentFlags };
    if (s.parentRemote) parentSpanContext.isRemote = true;
    if (s.traceState !== undefined) parentSpanContext.traceState = s.traceState;
  }
  let dns = end[1] - start[1];
  let ds = end[0] - start[0];
  if (dns < 0) {
    ds -= 1;
    dns += 1_000_000_000;
  }
  return {
    name: s.name,
    kind: s.kind,
    spanContext: () => ctx,
    parentSpanContext,
    startTime: start,
    endTime: end,
    status: s.errorMessage === undefined ? { code: SpanStatusCode.UNSET } : { code: SpanStatusCode.ERROR, message: s.errorMessage },
    attributes: s.attributes,
    links: NO_LINKS,
    events: NO_EVENTS,
    duration: [ds, dns],
    ended: true,
    resource,
    instrumentationScope: LEAN_SCOPE,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}
