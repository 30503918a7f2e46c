import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { AttemptRecord, CallRecord } from '../../../src/core/call-record.js';
import { createCallHistograms } from '../../../src/telemetry/call-histograms.js';
import { createRecorder, type SwitchyardRecorder } from '../../../src/telemetry/recorder.js';
import { CollectingSink, attemptRecord, callRecord } from './records.js';

/** Recorder → Prometheus exporter → real HTTP scrape: the documented names, labels and values. */

let server: Server;
let url: string;
let meterProvider: MeterProvider;
const histograms = createCallHistograms();
let tracerProvider: BasicTracerProvider;
let recorder: SwitchyardRecorder;
const sink = new CollectingSink('clickhouse');

before(async () => {
  const prometheus = new PrometheusExporter({ preventServerStart: true, metricProducers: [histograms.producer()] });
  meterProvider = new MeterProvider({ readers: [prometheus] });
  tracerProvider = new BasicTracerProvider();
  recorder = createRecorder({ tracerProvider, meterProvider, histograms, sinks: [sink], captureContent: false });
  server = createServer((req, res) => prometheus.getMetricsRequestHandler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await meterProvider.shutdown();
  await tracerProvider.shutdown();
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `unparseable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1] as string] = l[2] as string;
    }
    out.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return out;
}

function pick(samples: Sample[], name: string, labels: Record<string, string>): number[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).map((s) => s.value);
}

function record(p: { attempts: AttemptRecord[]; call: Partial<CallRecord> }): void {
  const now = Date.now();
  const h = recorder.startCall({ operation: 'chat', method: 'POST', path: '/v1/chat/completions', startedAtMs: now });
  for (const a of p.attempts) {
    h.startAttempt({
      operation: 'chat',
      provider: a.provider,
      providerName: a.providerName,
      model: a.model,
      stream: p.call.streamed ?? false,
      serverAddress: a.serverAddress,
      startedAtMs: a.startedAtMs,
    }).end(a);
  }
  h.end(callRecord({ startedAtMs: now, traceId: h.traceId, spanId: h.spanId, attempts: p.attempts, ...p.call }));
}

test('metrics: documented Prometheus names, labels, buckets and values', async () => {
  const now = Date.now();
  // 1: streamed ok call on openai.
  record({
    attempts: [attemptRecord({ startedAtMs: now, durationMs: 300, timeToFirstChunkMs: 90, costUsd: 0.002 })],
    call: { streamed: true, costUsd: 0.002 },
  });
  // 2: fallback openai (429, unknown cost) → deepseek ok.
  record({
    attempts: [
      attemptRecord({
        startedAtMs: now,
        outcome: 'error',
        errorType: 'rate_limited',
        httpStatus: 429,
        usage: undefined,
        costUsd: null,
        responseModel: undefined,
      }),
      attemptRecord({
        startedAtMs: now,
        index: 1,
        targetIndex: 1,
        provider: 'deepseek',
        providerName: 'deepseek',
        model: 'deepseek-chat',
        responseModel: 'deepseek-chat',
        serverAddress: 'api.deepseek.com',
        costUsd: 0.0005,
      }),
    ],
    call: { finalProvider: 'deepseek', finalModel: 'deepseek-chat', costUsd: 0.0005 },
  });
  // 3: total failure.
  record({
    attempts: [
      attemptRecord({ startedAtMs: now, outcome: 'error', errorType: 'upstream_5xx', httpStatus: 500, usage: undefined, costUsd: null }),
    ],
    call: { outcome: 'error', errorType: 'upstream_5xx', httpStatus: 500, costUsd: null, usage: {} },
  });
  sink.spooled = 7;
  sink.dropped = 3;

  const res = await fetch(url);
  assert.equal(res.status, 200);
  const samples = parsePrometheus(await res.text());
  const names = new Set(samples.map((s) => s.name));
  for (const n of [
    'gen_ai_client_token_usage_bucket',
    'gen_ai_client_token_usage_sum',
    'gen_ai_client_token_usage_count',
    'gen_ai_client_operation_duration_bucket',
    'gen_ai_client_operation_time_to_first_chunk_bucket',
    'switchyard_cost_total',
    'switchyard_calls_total',
    'switchyard_ledger_spooled_records',
    'switchyard_ledger_spool_dropped_total',
  ]) {
    assert.ok(names.has(n), `missing ${n}`);
  }

  const sc = { switchyard_feature: 'support-chat' };
  assert.deepEqual(
    pick(samples, 'switchyard_cost_total', { ...sc, switchyard_provider: 'openai', switchyard_model: 'gpt-4o-mini' }),
    [0.002],
  );
  assert.deepEqual(
    pick(samples, 'switchyard_cost_total', { ...sc, switchyard_provider: 'deepseek', switchyard_model: 'deepseek-chat' }),
    [0.0005],
  );
  assert.deepEqual(pick(samples, 'switchyard_calls_total', { ...sc, switchyard_provider: 'openai', switchyard_outcome: 'ok' }), [1]);
  assert.deepEqual(pick(samples, 'switchyard_calls_total', { ...sc, switchyard_provider: 'deepseek', switchyard_outcome: 'ok' }), [1]);
  assert.deepEqual(pick(samples, 'switchyard_calls_total', { ...sc, switchyard_provider: 'openai', switchyard_outcome: 'error' }), [1]);
  assert.deepEqual(pick(samples, 'switchyard_ledger_spooled_records', { switchyard_sink: 'clickhouse' }), [7]);
  assert.deepEqual(pick(samples, 'switchyard_ledger_spool_dropped_total', { switchyard_sink: 'clickhouse' }), [3]);

  // Tokens: two ok openai/deepseek attempts, 120 input each; error attempts record no tokens.
  assert.deepEqual(pick(samples, 'gen_ai_client_token_usage_sum', { gen_ai_provider_name: 'openai', gen_ai_token_type: 'input' }), [120]);
  assert.deepEqual(pick(samples, 'gen_ai_client_token_usage_sum', { gen_ai_provider_name: 'deepseek', gen_ai_token_type: 'output' }), [30]);
  const tokenBuckets = samples
    .filter(
      (s) =>
        s.name === 'gen_ai_client_token_usage_bucket' &&
        s.labels.gen_ai_provider_name === 'deepseek' &&
        s.labels.gen_ai_token_type === 'input',
    )
    .map((s) => s.labels.le);
  assert.deepEqual(tokenBuckets, [
    '1',
    '4',
    '16',
    '64',
    '256',
    '1024',
    '4096',
    '16384',
    '65536',
    '262144',
    '1048576',
    '4194304',
    '16777216',
    '67108864',
    '+Inf',
  ]);

  // Duration: every attempt, errors labelled with error.type.
  assert.deepEqual(
    pick(samples, 'gen_ai_client_operation_duration_sum', { gen_ai_provider_name: 'openai', error_type: 'rate_limited' }),
    [0.25],
  );
  assert.deepEqual(
    pick(samples, 'gen_ai_client_operation_duration_count', { gen_ai_provider_name: 'openai' }).reduce((a, b) => a + b, 0),
    3,
  );
  const durationBuckets = samples
    .filter((s) => s.name === 'gen_ai_client_operation_duration_bucket' && s.labels.gen_ai_provider_name === 'deepseek')
    .map((s) => s.labels.le);
  assert.deepEqual(durationBuckets, [
    '0.01',
    '0.02',
    '0.04',
    '0.08',
    '0.16',
    '0.32',
    '0.64',
    '1.28',
    '2.56',
    '5.12',
    '10.24',
    '20.48',
    '40.96',
    '81.92',
    '+Inf',
  ]);

  // Time to first chunk: only the streamed call.
  assert.deepEqual(pick(samples, 'gen_ai_client_operation_time_to_first_chunk_sum', {}), [0.09]);
});
