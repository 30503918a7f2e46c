import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { getBooleanFromEnv, getNumberFromEnv, getStringFromEnv, getStringListFromEnv } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { type IMetricReader, InstrumentType, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { CallSink, ResourceInfo, SinkHealth } from '../core/call-record.js';
import type { EndedSpanSink } from './ended-span.js';
import type { LeanBatchSpanProcessor } from './lean-otlp/lean-span-processor.js';
import { createLeanTraceProcessor } from './lean-otlp/lean-trace-export.js';
import { type LeanSpanOutput, leanSpanOutput, samplerFromEnv } from './lean-spans.js';
import { type CallHistograms, NOOP_CALL_HISTOGRAMS, createCallHistograms } from './call-histograms.js';
import { createRecorder, type SwitchyardRecorder } from './recorder.js';
import { buildResource } from './resource.js';
import { takeSpanLedger } from './span-ledger.js';
import { resourceInfo } from './resource-info.js';

export interface TelemetrySettings {
  serviceName: string;
  /** Base OTLP/HTTP endpoint from config (`/v1/traces`, `/v1/metrics` are appended). */
  otlpEndpoint?: string;
  otlpHeaders?: Record<string, string>;
  captureContent: boolean;
  extraSpanProcessors?: SpanProcessor[];
  /**
   * Span sinks (the ClickHouse `otel_traces` rows). The lean span path hands them each ended span
   * directly; the SDK path (SWITCHYARD_SPANS=sdk) puts their `spanExporter` under a
   * BatchSpanProcessor.
   */
  spanSinks?: EndedSpanSink[];
  sinks: CallSink[];
  sinkHealth: () => SinkHealth[];
}

export interface Telemetry {
  recorder: SwitchyardRecorder;
  /** Serves the Prometheus text exposition of every metric (mount it at `/metrics`). */
  prometheusHandler: (req: IncomingMessage, res: ServerResponse) => void;
  resource: ResourceInfo;
  /** Where spans and metrics go over OTLP, or null when they are not exported. */
  otlp: { traces: string | null; metrics: string | null };
  shutdown(): Promise<void>;
  forceFlush(): Promise<void>;
}

let active = false;

/**
 * Starts the OpenTelemetry SDK (NodeSDK: registers the global tracer and meter providers) and
 * returns the call recorder over it. Once per process: a second call before `shutdown()` throws.
 * Sinks are only written to; closing them is the caller's job.
 *
 * Precedence (standard OTEL_* variables win over the config file):
 * - traces: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces),
 *   then `otlpEndpoint` + /v1/traces; none of them → no OTLP export (spans still get ids).
 *   OTEL_TRACES_EXPORTER=none turns OTLP trace export off.
 * - metrics: the same with _METRICS_ and /v1/metrics; OTEL_METRICS_EXPORTER=none turns OTLP metric
 *   export off. The Prometheus handler always works.
 * - service.name: OTEL_SERVICE_NAME, then OTEL_RESOURCE_ATTRIBUTES, then `serviceName`.
 * - OTEL_TRACES_SAMPLER(_ARG), OTEL_BSP_*, OTEL_METRIC_EXPORT_INTERVAL/TIMEOUT, OTEL_SDK_DISABLED.
 */
export async function startTelemetry(settings: TelemetrySettings): Promise<Telemetry> {
  if (active) throw new Error('startTelemetry: telemetry is already started in this process');
  active = true;
  try {
    return await start(settings);
  } catch (err) {
    active = false;
    throw err;
  }
}

async function start(settings: TelemetrySettings): Promise<Telemetry> {
  const resource = await buildResource(settings.serviceName);
  const info = resourceInfo(resource);

  if (getBooleanFromEnv('OTEL_SDK_DISABLED')) {
    return disabledTelemetry(settings, info);
  }

  const tracesUrl = otlpUrl({ signal: 'TRACES', path: '/v1/traces', configEndpoint: settings.otlpEndpoint });
  const metricsUrl = otlpUrl({
    signal: 'METRICS',
    path: '/v1/metrics',
    configEndpoint: settings.otlpEndpoint,
  });

  const spansMode = spanPath();
  const spanProcessors: SpanProcessor[] = [...(settings.extraSpanProcessors ?? [])];
  let leanSpans: LeanSpanOutput | undefined;
  if (spansMode === 'lean') {
    // No SDK spans: the recorder encodes its spans itself (lean-spans.ts). The lean batcher posts
    // them; span sinks (ClickHouse otel_traces) get the ended spans; processors that want
    // ReadableSpans (the official exporter with SWITCHYARD_OTLP_EXPORTER=otel, extra processors)
    // get ReadableSpan-shaped objects.
    let batcher: LeanBatchSpanProcessor | undefined;
    if (tracesUrl !== null) {
      const exporter = getStringFromEnv('SWITCHYARD_OTLP_EXPORTER') ?? 'lean';
      if (exporter === 'lean') {
        batcher = createLeanTraceProcessor({ configUrl: tracesUrl.url, configHeaders: settings.otlpHeaders });
        spanProcessors.push(batcher);
      } else spanProcessors.push(otlpSpanProcessor(tracesUrl, settings));
    }
    // The span ledger: a span sink that takes the ledger as spans gets every call's spans as OTLP
    // JSON (span-ledger.ts) instead of ended spans and records.
    leanSpans = leanSpanOutput({
      resource,
      sampler: samplerFromEnv(),
      batcher,
      processors: spanProcessors.filter((p) => p !== batcher),
      ...takeSpanLedger(settings.spanSinks ?? []),
    });
  } else {
    for (const sink of settings.spanSinks ?? []) spanProcessors.push(new BatchSpanProcessor(sink.spanExporter));
    if (tracesUrl !== null) spanProcessors.push(otlpSpanProcessor(tracesUrl, settings));
    // NodeSDK registers no tracer provider without a processor; spans then get no ids.
    if (spanProcessors.length === 0) spanProcessors.push(new NoopSpanProcessor());
  }

  const histograms = createCallHistograms();
  const prometheus = new PrometheusExporter({ preventServerStart: true, metricProducers: [histograms.producer()] });
  const readers: IMetricReader[] = [prometheus];
  if (metricsUrl !== null) {
    const exporter = new OTLPMetricExporter(exporterConfig(metricsUrl, settings));
    readers.push(
      new PeriodicExportingMetricReader({
        exporter,
        // OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE, as the exporter reads it.
        metricProducers: [histograms.producer(exporter.selectAggregationTemporality(InstrumentType.HISTOGRAM))],
        exportIntervalMillis: getNumberFromEnv('OTEL_METRIC_EXPORT_INTERVAL') ?? 60_000,
        exportTimeoutMillis: getNumberFromEnv('OTEL_METRIC_EXPORT_TIMEOUT') ?? 30_000,
      }),
    );
  }

  const sdk = new NodeSDK({
    resource,
    autoDetectResources: false,
    // Lean spans: no tracer provider at all (its processors are flushed and shut down below).
    spanProcessors: leanSpans !== undefined ? [] : spanProcessors,
    metricReaders: readers,
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();

  const recorder = globalRecorder(settings, histograms, leanSpans);
  // Lean spans reach span sinks without a processor: flushing and stopping them is done here.
  const leanSinks = leanSpans !== undefined ? (settings.spanSinks ?? []) : [];

  let stopped = false;
  return {
    recorder,
    prometheusHandler: (req, res) => prometheus.getMetricsRequestHandler(req, res),
    resource: info,
    otlp: { traces: tracesUrl?.shown ?? null, metrics: metricsUrl?.shown ?? null },
    async forceFlush() {
      await Promise.all([
        ...spanProcessors.map((p) => p.forceFlush()),
        ...leanSinks.map((s) => s.spanExporter.forceFlush?.()),
        ...readers.map((r) => r.forceFlush()),
      ]);
    },
    async shutdown() {
      if (stopped) return;
      stopped = true;
      try {
        await Promise.all([
          sdk.shutdown(),
          ...(leanSpans !== undefined ? spanProcessors.map((p) => p.shutdown()) : []),
          ...leanSinks.map((s) => s.spanExporter.shutdown()),
        ]);
      } finally {
        releaseGlobals();
      }
    },
  };
}

/**
 * The OTLP/HTTP JSON span path. SWITCHYARD_OTLP_EXPORTER=otel (default): BatchSpanProcessor +
 * @opentelemetry/exporter-trace-otlp-http. `lean`: our processor that serializes each span when it
 * ends and posts the same OTLP JSON with undici (docs/telemetry.md has the measurements).
 */
function otlpSpanProcessor(target: OtlpTarget, settings: TelemetrySettings): SpanProcessor {
  const choice = getStringFromEnv('SWITCHYARD_OTLP_EXPORTER') ?? 'otel';
  if (choice === 'lean') {
    return createLeanTraceProcessor({ configUrl: target.url, configHeaders: settings.otlpHeaders });
  }
  if (choice !== 'otel') throw new Error(`SWITCHYARD_OTLP_EXPORTER must be otel or lean, not ${JSON.stringify(choice)}`);
  return new BatchSpanProcessor(new OTLPTraceExporter(exporterConfig(target, settings)));
}

/**
 * SWITCHYARD_SPANS: `lean` (default) encodes spans from the call records without SDK Span objects
 * (lean-spans.ts); `sdk` records them as SDK spans through the tracer NodeSDK registers.
 */
export const DEFAULT_SPAN_PATH: 'sdk' | 'lean' = 'lean';

function spanPath(): 'sdk' | 'lean' {
  const v = getStringFromEnv('SWITCHYARD_SPANS') ?? DEFAULT_SPAN_PATH;
  if (v !== 'sdk' && v !== 'lean') throw new Error(`SWITCHYARD_SPANS must be sdk or lean, not ${JSON.stringify(v)}`);
  return v;
}

/** The recorder over the global providers NodeSDK registered (no-op ones when it is disabled). */
function globalRecorder(settings: TelemetrySettings, histograms: CallHistograms, leanSpans?: LeanSpanOutput): SwitchyardRecorder {
  return createRecorder({
    ...(leanSpans !== undefined ? { leanSpans } : {}),
    tracerProvider: trace.getTracerProvider(),
    meterProvider: metrics.getMeterProvider(),
    histograms,
    sinks: settings.sinks,
    captureContent: settings.captureContent,
    sinkHealth: settings.sinkHealth,
  });
}

function releaseGlobals(): void {
  trace.disable();
  metrics.disable();
  propagation.disable();
  context.disable();
  active = false;
}

/** OTEL_SDK_DISABLED: no SDK, no-op spans and metrics; the sinks still get every record. */
function disabledTelemetry(settings: TelemetrySettings, info: ResourceInfo): Telemetry {
  const recorder = globalRecorder(settings, NOOP_CALL_HISTOGRAMS);
  return {
    recorder,
    prometheusHandler: (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end('# OpenTelemetry SDK disabled (OTEL_SDK_DISABLED)\n');
    },
    resource: info,
    otlp: { traces: null, metrics: null },
    async forceFlush() {},
    async shutdown() {
      active = false;
    },
  };
}

interface OtlpTarget {
  /** Undefined: let the exporter read the OTEL_* variables itself (standard semantics). */
  url: string | undefined;
  /** Without credentials, for logs and health. */
  shown: string;
}

function otlpUrl(p: { signal: 'TRACES' | 'METRICS'; path: string; configEndpoint: string | undefined }): OtlpTarget | null {
  const exporters = getStringListFromEnv(`OTEL_${p.signal}_EXPORTER`);
  if (exporters?.includes('none')) return null;
  const signalEnv = getStringFromEnv(`OTEL_EXPORTER_OTLP_${p.signal}_ENDPOINT`);
  if (signalEnv !== undefined) return { url: undefined, shown: redactUrl(signalEnv) };
  const env = getStringFromEnv('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (env !== undefined) return { url: undefined, shown: redactUrl(joinPath(env, p.path)) };
  if (p.configEndpoint === undefined || p.configEndpoint === '') return null;
  const url = joinPath(p.configEndpoint, p.path);
  return { url, shown: redactUrl(url) };
}

function joinPath(base: string, path: string): string {
  return base.endsWith('/') ? base.slice(0, -1) + path : base + path;
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}

function exporterConfig(target: OtlpTarget, settings: TelemetrySettings): { url?: string; headers?: Record<string, string> } {
  // Config headers belong to the config endpoint; with an env endpoint, OTEL_EXPORTER_OTLP_HEADERS.
  if (target.url === undefined) return {};
  return settings.otlpHeaders ? { url: target.url, headers: settings.otlpHeaders } : { url: target.url };
}

export { resourceInfo };
