import { takeSpanLedger } from '../../src/telemetry/span-ledger.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import OpenAI from 'openai';
import { loadConfigFile, loadConfigText } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import type { CallRecord, CallSink } from '../../src/core/call-record.js';
import { NULL_SINK } from '../../src/core/call-record.js';
import { createLogger } from '../../src/core/log.js';
import { type RunningSidecar, startSidecar as startRealSidecar } from '../../src/main.js';
import { createCallHistograms } from '../../src/telemetry/call-histograms.js';
import { createRecorder } from '../../src/telemetry/recorder.js';
import { LeanBatchSpanProcessor } from '../../src/telemetry/lean-otlp/lean-span-processor.js';
import { createOtlpPoster } from '../../src/telemetry/lean-otlp/post-otlp.js';
import type { EndedSpanSink } from '../../src/telemetry/ended-span.js';
import { leanSpanOutput, samplerFromEnv } from '../../src/telemetry/lean-spans.js';
import { DEFAULT_SPAN_PATH, resourceInfo } from '../../src/telemetry/setup.js';
import type { Telemetry } from '../../src/telemetry/setup.js';

/**
 * A real sidecar in this process on 127.0.0.1 free ports, with its own tracer provider exporting
 * OTLP/HTTP to the test's receiver (when given) and a Prometheus reader for /metrics.
 */
export interface TestSidecar {
  sidecar: RunningSidecar;
  apiUrl: string;
  /** `${apiUrl}/v1`, for the OpenAI SDK's baseURL. */
  baseURL: string;
  healthUrl: string;
  /** The official OpenAI SDK pointed at the sidecar, optionally naming a feature. */
  openai(opts?: { feature?: string; apiKey?: string; maxRetries?: number }): OpenAI;
  /** Every CallRecord the sidecar finished (a test sink). */
  records: CallRecord[];
  configPath?: string;
  logs: string[];
  close(): Promise<void>;
}

export interface StartTestSidecarOptions {
  yaml: string;
  env?: Record<string, string>;
  /** OTLP receiver base URL (spans go to `${url}/v1/traces`). */
  otlpUrl?: string;
  /** Extra sinks besides the recording one. */
  sinks?: CallSink[];
  extraSpanProcessors?: SpanProcessor[];
  /** Span sinks, wired as startTelemetry wires them (lean: ended spans; sdk: their exporter). */
  spanSinks?: EndedSpanSink[];
  /** Write the YAML to a file and watch it (hot reload tests). */
  watch?: boolean;
  resourceAttributes?: Record<string, string>;
}

export function recordingSink(records: CallRecord[]): CallSink {
  return { ...NULL_SINK, name: 'test-recorder', write: (r) => void records.push(r) };
}

export async function startSidecar(opts: StartTestSidecarOptions): Promise<TestSidecar> {
  const env = { ...process.env, ...(opts.env ?? {}) };
  let configPath: string | undefined;
  let config: Config;
  if (opts.watch) {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-config-'));
    configPath = join(dir, 'switchyard.yaml');
    writeFileSync(configPath, opts.yaml);
    config = loadConfigFile(configPath, env);
  } else {
    config = loadConfigText(opts.yaml, { source: 'test.yaml', env });
  }
  config = Object.freeze({
    ...config,
    server: { ...config.server, listen: { ...config.server.listen, port: 0 }, healthListen: { host: '127.0.0.1', port: 0 } },
  });
  const records: CallRecord[] = [];
  const logs: string[] = [];
  const sinks = [recordingSink(records), ...(opts.sinks ?? [])];
  const resource = resourceFromAttributes({ 'service.name': 'switchyard-test', ...(opts.resourceAttributes ?? {}) });
  const processors: SpanProcessor[] = [...(opts.extraSpanProcessors ?? [])];
  // The span path the sidecar uses (SWITCHYARD_SPANS, default lean): lean spans go through the
  // lean batcher (short delay) to the receiver; sdk spans through the official exporter.
  const lean = (env.SWITCHYARD_SPANS ?? DEFAULT_SPAN_PATH) === 'lean';
  const batcher =
    lean && opts.otlpUrl
      ? new LeanBatchSpanProcessor({
          poster: createOtlpPoster({ url: `${opts.otlpUrl}/v1/traces`, headers: {}, timeoutMs: 10_000, compression: 'none' }),
          maxExportBatchSize: 512,
          maxQueueSize: 2048,
          scheduledDelayMillis: 5,
          exportTimeoutMillis: 10_000,
        })
      : undefined;
  const spanSinks = opts.spanSinks ?? [];
  if (!lean) for (const sink of spanSinks) processors.push(new SimpleSpanProcessor(sink.spanExporter));
  const leanSpans = lean
    ? leanSpanOutput({ resource, sampler: samplerFromEnv(), batcher, processors: [...processors], ...takeSpanLedger(spanSinks) })
    : undefined;
  if (batcher) processors.push(batcher);
  if (opts.otlpUrl && !lean) processors.push(new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${opts.otlpUrl}/v1/traces` })));
  const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: lean ? [] : processors });
  const histograms = createCallHistograms();
  const prometheus = new PrometheusExporter({ preventServerStart: true, metricProducers: [histograms.producer()] });
  const meterProvider = new MeterProvider({ resource, readers: [prometheus] });
  const telemetry = async (s: CallSink[]): Promise<Telemetry> => ({
    recorder: createRecorder({
      tracerProvider,
      meterProvider,
      histograms,
      sinks: s,
      captureContent: config.telemetry.captureContent,
      ...(leanSpans ? { leanSpans } : {}),
    }),
    prometheusHandler: (req, res) => prometheus.getMetricsRequestHandler(req, res),
    resource: resourceInfo(resource),
    otlp: { traces: opts.otlpUrl ? `${opts.otlpUrl}/v1/traces` : null, metrics: null },
    shutdown: async () => {
      await tracerProvider.shutdown();
      if (lean) await Promise.all([...processors.map((p) => p.shutdown()), ...spanSinks.map((k) => k.spanExporter.shutdown())]);
      await meterProvider.shutdown();
    },
    forceFlush: async () => {
      await tracerProvider.forceFlush();
      if (lean) await Promise.all([...processors.map((p) => p.forceFlush()), ...spanSinks.map((k) => k.spanExporter.forceFlush?.())]);
    },
  });
  const sidecar = await startRealSidecar({
    config,
    ...(configPath ? { configPath } : {}),
    env,
    log: createLogger({ level: 'debug', write: (l) => void logs.push(l) }),
    telemetry,
    sinks,
  });
  return {
    sidecar,
    apiUrl: sidecar.apiUrl,
    baseURL: `${sidecar.apiUrl}/v1`,
    healthUrl: sidecar.healthUrl,
    records,
    logs,
    ...(configPath ? { configPath } : {}),
    openai: (o = {}) =>
      new OpenAI({
        baseURL: `${sidecar.apiUrl}/v1`,
        apiKey: o.apiKey ?? 'sk-app-key-not-a-provider-key',
        maxRetries: o.maxRetries ?? 0,
        ...(o.feature ? { defaultHeaders: { 'x-switchyard-feature': o.feature } } : {}),
      }),
    close: () => sidecar.shutdown('test'),
  };
}
