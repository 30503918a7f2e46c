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
import { newCallId } from '../core/ids.js';
import type { CallHistograms } from './call-histograms.js';
import { LeanCallSpan, type LeanSpanOutput } from './lean-spans.js';
import { type CallMetrics, createCallMetrics } from './metrics.js';
import type { AttemptHandle, AttemptStart, CallHandle, CallRecorder, CallStart } from './recorder-types.js';
import * as S from './semconv.js';
import { type AttributeWriter, writeAttemptAttributes, writeCallAttributes } from './span-attributes.js';

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
  readonly callId: string;
  private readonly recorder: Recorder;
  private readonly span: Span;
  private readonly method: string;
  private readonly path: string;
  private context: Context | undefined;
  private ended = false;

  constructor(recorder: Recorder, start: CallStart) {
    this.recorder = recorder;
    this.method = start.method;
    this.path = stripQuery(start.path);
    // Attributes are all set at the end, in span-attributes.ts order (method and path first).
    this.span = recorder.tracer.startSpan(
      `${start.method} ${this.path}`,
      { kind: SpanKind.SERVER, startTime: start.startedAtMs },
      parentContext(start),
    );
    const sc = this.span.spanContext();
    this.traceId = sc.traceId;
    this.spanId = sc.spanId;
    this.callId = newCallId(start.startedAtMs);
    recorder.openSpans++;
  }

  setFeature(_name: string): void {}

  startAttempt(start: AttemptStart): AttemptHandle {
    if (this.context === undefined) this.context = trace.setSpan(ROOT_CONTEXT, this.span);
    return new AttemptSpan(this.recorder, start, this.context);
  }

  end(record: CallRecord): void {
    if (this.ended) return;
    this.ended = true;
    this.recorder.openSpans--;
    const span = this.span;
    if (span.isRecording()) {
      writeCallAttributes(spanWriter(span), this.method, this.path, record, this.recorder.captureContent);
      setErrorStatus(span, record.outcome, record.errorType);
    }
    span.end(record.startedAtMs + record.latencyMs);
    this.recorder.deliver(record);
  }
}

/** Span.setAttribute for each attribute span-attributes.ts lists (the same list the lean path writes). */
function spanWriter(span: Span): AttributeWriter {
  return {
    attr(key, value) {
      if (value != null) span.setAttribute(key, value);
    },
  };
}

/** ERROR status with the error kind as its message, as both span paths set it. */
function setErrorStatus(span: Span, outcome: string, errorType: string | undefined): void {
  if (outcome === 'error') span.setStatus({ code: SpanStatusCode.ERROR, message: errorType ?? S.OUTCOME_ERROR });
}

class AttemptSpan implements AttemptHandle {
  readonly spanId: string;
  readonly propagationHeaders: Readonly<Record<string, string>>;
  private readonly recorder: Recorder;
  private readonly span: Span;
  private readonly start: AttemptStart;
  private ended = false;

  constructor(recorder: Recorder, start: AttemptStart, parent: Context) {
    this.recorder = recorder;
    this.start = start;
    // Attributes are all set at the end, in span-attributes.ts order (the start's first).
    this.span = recorder.tracer.startSpan(
      `${start.operation} ${start.model}`,
      { kind: SpanKind.CLIENT, startTime: start.startedAtMs },
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
    if (span.isRecording()) {
      writeAttemptAttributes(spanWriter(span), this.start, record);
      setErrorStatus(span, record.outcome, record.errorType);
    }
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
