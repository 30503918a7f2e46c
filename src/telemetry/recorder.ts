import {
  type Context,
  type MeterProvider,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  defaultTextMapGetter,
  isSpanContextValid,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { AttemptRecord, CallRecord, CallSink, SinkHealth } from '../core/call-record.js';
import type { CallHistograms } from './call-histograms.js';
import { LeanCallSpan, type LeanSpanOutput } from './lean-spans.js';
import { type CallMetrics, createCallMetrics } from './metrics.js';
import type { AttemptHandle, AttemptStart, CallHandle, CallRecorder, CallStart } from './recorder-types.js';
import * as S from './semconv.js';

/**
 * CallRecorder over the OpenTelemetry API: one SERVER span per call, one CLIENT span per attempt,
 * metrics and sinks at the end of the call. No globals: the providers are passed in, so several
 * recorders (several sidecars in one test process) can live side by side.
 *
 * Times: `startedAtMs` values are epoch milliseconds (fractions allowed); spans start and end at
 * the times the records give, not at the time `end` is called.
 */
export interface RecorderOptions {
  tracerProvider: TracerProvider;
  meterProvider: MeterProvider;
  /** The GenAI histograms; their producers must be given to the meter provider's readers. */
  histograms: CallHistograms;
  sinks: readonly CallSink[];
  captureContent: boolean;
  /** Health of the sinks, for the spool gauges; defaults to asking each sink. */
  sinkHealth?: () => readonly SinkHealth[];
  /**
   * The lean span path (SWITCHYARD_SPANS=lean, lean-spans.ts): spans are encoded from the records
   * without SDK Span objects, and `tracerProvider` is not used for them.
   */
  leanSpans?: LeanSpanOutput;
}

export interface SwitchyardRecorder extends CallRecorder {
  readonly captureContent: boolean;
  /** Spans started and not yet ended (calls and attempts): a leak detector for tests. */
  readonly openSpans: number;
}

export function createRecorder(options: RecorderOptions): SwitchyardRecorder {
  return new Recorder(options);
}

const propagator = new W3CTraceContextPropagator();
const TRACE_FLAG_SAMPLED = 1;

class Recorder implements SwitchyardRecorder {
  readonly captureContent: boolean;
  readonly tracer: Tracer;
  readonly metrics: CallMetrics;
  readonly sinks: readonly CallSink[];
  readonly leanSpans: LeanSpanOutput | undefined;
  openSpans = 0;

  constructor(options: RecorderOptions) {
    this.captureContent = options.captureContent;
    this.tracer = options.tracerProvider.getTracer(S.INSTRUMENTATION_SCOPE);
    this.sinks = options.sinks;
    this.leanSpans = options.leanSpans;
    const sinks = options.sinks;
    this.metrics = createCallMetrics({
      meter: options.meterProvider.getMeter(S.INSTRUMENTATION_SCOPE),
      histograms: options.histograms,
      sinkHealth: options.sinkHealth ?? (() => sinks.map((s) => s.health())),
    });
  }

  startCall(start: CallStart): CallHandle {
    return this.leanSpans !== undefined ? new LeanCallSpan(this, this.leanSpans, start) : new CallSpan(this, start);
  }

  /** After the SERVER span has ended: metrics, then every sink. Never throws. */
  deliver(record: CallRecord): void {
    try {
      this.metrics.record(record);
    } catch {
      // A metrics failure must not fail the app's request.
    }
    const out = !this.captureContent && record.content !== undefined ? { ...record, content: undefined } : record;
    for (const sink of this.sinks) {
      try {
        sink.write(out);
      } catch {
        // CallSink.write must not throw; if one does, the others still get the record.
      }
    }
  }
}

function parentContext(start: CallStart): Context {
  if (start.traceparent === undefined) return ROOT_CONTEXT;
  const carrier: Record<string, string> = { traceparent: start.traceparent };
  if (start.tracestate !== undefined) carrier.tracestate = start.tracestate;
  return propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
}

function stripQuery(path: string): string {
  const q = path.indexOf('?');
  return q === -1 ? path : path.slice(0, q);
}

class CallSpan implements CallHandle {
  readonly traceId: string;
  readonly spanId: string;
  private readonly recorder: Recorder;
  private readonly span: Span;
  private context: Context | undefined;
  private ended = false;

  constructor(recorder: Recorder, start: CallStart) {
    this.recorder = recorder;
    const path = stripQuery(start.path);
    this.span = recorder.tracer.startSpan(
      `${start.method} ${path}`,
      {
        kind: SpanKind.SERVER,
        startTime: start.startedAtMs,
        attributes: { [S.ATTR_HTTP_REQUEST_METHOD]: start.method, [S.ATTR_URL_PATH]: path },
      },
      parentContext(start),
    );
    const sc = this.span.spanContext();
    this.traceId = sc.traceId;
    this.spanId = sc.spanId;
    recorder.openSpans++;
  }

  startAttempt(start: AttemptStart): AttemptHandle {
    if (this.context === undefined) this.context = trace.setSpan(ROOT_CONTEXT, this.span);
    return new AttemptSpan(this.recorder, start, this.context);
  }

  end(record: CallRecord): void {
    if (this.ended) return;
    this.ended = true;
    this.recorder.openSpans--;
    const span = this.span;
    if (span.isRecording()) setCallAttributes(span, record, this.recorder.captureContent);
    span.end(record.startedAtMs + record.latencyMs);
    this.recorder.deliver(record);
  }
}

function setCallAttributes(span: Span, r: CallRecord, captureContent: boolean): void {
  span.setAttribute(S.ATTR_SWITCHYARD_CALL_ID, r.callId);
  span.setAttribute(S.ATTR_SWITCHYARD_FEATURE, r.feature);
  span.setAttribute(S.ATTR_SWITCHYARD_ROUTE, r.route);
  span.setAttribute(S.ATTR_SWITCHYARD_OPERATION, r.operation);
  span.setAttribute(S.ATTR_SWITCHYARD_OUTCOME, r.outcome);
  span.setAttribute(S.ATTR_SWITCHYARD_STREAMED, r.streamed);
  span.setAttribute(S.ATTR_SWITCHYARD_REQUESTED_MODEL, r.requestedModel);
  span.setAttribute(S.ATTR_SWITCHYARD_ATTEMPT_COUNT, r.attemptCount);
  span.setAttribute(S.ATTR_SWITCHYARD_RETRY_COUNT, r.retryCount);
  span.setAttribute(S.ATTR_SWITCHYARD_FALLBACK_PATH, r.fallbackPath.join('>'));
  span.setAttribute(S.ATTR_SWITCHYARD_FINAL_PROVIDER, r.finalProvider);
  span.setAttribute(S.ATTR_SWITCHYARD_FINAL_MODEL, r.finalModel);
  if (r.usage.inputTokens !== undefined) {
    span.setAttribute(S.ATTR_SWITCHYARD_USAGE_INPUT_TOKENS, r.usage.inputTokens);
  }
  if (r.usage.outputTokens !== undefined) {
    span.setAttribute(S.ATTR_SWITCHYARD_USAGE_OUTPUT_TOKENS, r.usage.outputTokens);
  }
  if (r.costUsd !== null) span.setAttribute(S.ATTR_SWITCHYARD_COST_USD, r.costUsd);
  span.setAttribute(S.ATTR_SWITCHYARD_OVERHEAD_MS, r.overheadMs);
  if (r.timeToFirstChunkMs !== undefined) {
    span.setAttribute(S.ATTR_SWITCHYARD_TIME_TO_FIRST_CHUNK_MS, r.timeToFirstChunkMs);
  }
  span.setAttribute(S.ATTR_SWITCHYARD_CONFIG_HASH, r.configHash);
  span.setAttribute(S.ATTR_SWITCHYARD_PRICE_TABLE_VERSION, r.priceTableVersion);
  span.setAttribute(S.ATTR_HTTP_RESPONSE_STATUS_CODE, r.httpStatus);
  if (captureContent && r.content !== undefined) {
    if (r.content.input !== undefined) span.setAttribute(S.ATTR_SWITCHYARD_CONTENT_INPUT, r.content.input);
    if (r.content.output !== undefined) {
      span.setAttribute(S.ATTR_SWITCHYARD_CONTENT_OUTPUT, r.content.output);
    }
  }
  if (r.outcome === 'error') {
    if (r.errorType !== undefined) span.setAttribute(S.ATTR_ERROR_TYPE, r.errorType);
    span.setStatus({ code: SpanStatusCode.ERROR, message: r.errorType ?? S.OUTCOME_ERROR });
  }
}

class AttemptSpan implements AttemptHandle {
  readonly spanId: string;
  readonly propagationHeaders: Readonly<Record<string, string>>;
  private readonly recorder: Recorder;
  private readonly span: Span;
  private ended = false;

  constructor(recorder: Recorder, start: AttemptStart, parent: Context) {
    this.recorder = recorder;
    const attributes: Record<string, string | number | boolean> = {
      [S.ATTR_GEN_AI_OPERATION_NAME]: start.operation,
      [S.ATTR_GEN_AI_PROVIDER_NAME]: start.providerName,
      [S.ATTR_GEN_AI_REQUEST_MODEL]: start.model,
      [S.ATTR_GEN_AI_REQUEST_STREAM]: start.stream,
      [S.ATTR_SERVER_ADDRESS]: start.serverAddress,
      [S.ATTR_SWITCHYARD_PROVIDER]: start.provider,
    };
    if (start.serverPort !== undefined) attributes[S.ATTR_SERVER_PORT] = start.serverPort;
    this.span = recorder.tracer.startSpan(
      `${start.operation} ${start.model}`,
      { kind: SpanKind.CLIENT, startTime: start.startedAtMs, attributes },
      parent,
    );
    const sc = this.span.spanContext();
    this.spanId = sc.spanId;
    this.propagationHeaders = isSpanContextValid(sc) ? w3cHeaders(sc) : NO_HEADERS;
    recorder.openSpans++;
  }

  end(record: AttemptRecord): void {
    if (this.ended) return;
    this.ended = true;
    this.recorder.openSpans--;
    const span = this.span;
    if (span.isRecording()) setAttemptAttributes(span, record);
    span.end(record.startedAtMs + record.durationMs);
  }
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** The CLIENT span as W3C headers (what W3CTraceContextPropagator.inject writes, without a Context). */
function w3cHeaders(sc: SpanContext): Record<string, string> {
  const traceparent = `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & TRACE_FLAG_SAMPLED}`;
  const tracestate = sc.traceState?.serialize();
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

function setAttemptAttributes(span: Span, a: AttemptRecord): void {
  span.setAttribute(S.ATTR_SWITCHYARD_ATTEMPT_INDEX, a.index);
  span.setAttribute(S.ATTR_SWITCHYARD_ATTEMPT_TARGET_INDEX, a.targetIndex);
  span.setAttribute(S.ATTR_SWITCHYARD_ATTEMPT_TRY, a.tryNumber);
  if (a.responseModel !== undefined) span.setAttribute(S.ATTR_GEN_AI_RESPONSE_MODEL, a.responseModel);
  if (a.responseId !== undefined) span.setAttribute(S.ATTR_GEN_AI_RESPONSE_ID, a.responseId);
  if (a.finishReasons !== undefined) {
    span.setAttribute(S.ATTR_GEN_AI_RESPONSE_FINISH_REASONS, a.finishReasons);
  }
  const u = a.usage;
  if (u !== undefined) {
    if (u.inputTokens !== undefined) span.setAttribute(S.ATTR_GEN_AI_USAGE_INPUT_TOKENS, u.inputTokens);
    if (u.outputTokens !== undefined) {
      span.setAttribute(S.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, u.outputTokens);
    }
    if (u.cacheReadTokens !== undefined) {
      span.setAttribute(S.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, u.cacheReadTokens);
    }
    if (u.cacheWriteTokens !== undefined) {
      span.setAttribute(S.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, u.cacheWriteTokens);
    }
    if (u.reasoningTokens !== undefined) {
      span.setAttribute(S.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, u.reasoningTokens);
    }
  }
  if (a.timeToFirstChunkMs !== undefined) {
    span.setAttribute(S.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, a.timeToFirstChunkMs / 1000);
  }
  if (a.httpStatus !== undefined) span.setAttribute(S.ATTR_HTTP_RESPONSE_STATUS_CODE, a.httpStatus);
  if (a.costUsd !== null) span.setAttribute(S.ATTR_SWITCHYARD_COST_USD, a.costUsd);
  if (a.outcome === 'error') {
    if (a.errorType !== undefined) span.setAttribute(S.ATTR_ERROR_TYPE, a.errorType);
    span.setStatus({ code: SpanStatusCode.ERROR, message: a.errorType ?? S.OUTCOME_ERROR });
  }
}
