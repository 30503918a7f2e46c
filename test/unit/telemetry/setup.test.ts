import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, beforeEach, test } from 'node:test';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { type Telemetry, type TelemetrySettings, startTelemetry } from '../../../src/telemetry/setup.js';
import { type OtlpReceiver, startOtlpReceiver } from '../../support/otlp-receiver.js';
import { CollectingSink, attemptRecord, callRecord } from './records.js';

/**
 * startTelemetry end to end: NodeSDK, OTLP/HTTP JSON to an in-process receiver, OTEL_* precedence,
 * Prometheus handler, once-per-process. Tests in this file run in order and share process env.
 */

const OTEL_VARS = [
  'OTEL_SDK_DISABLED',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
  'SWITCHYARD_OTLP_EXPORTER',
  'SWITCHYARD_SPANS',
  'OTEL_TRACES_EXPORTER',
  'OTEL_METRICS_EXPORTER',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
];
const saved = new Map(OTEL_VARS.map((k) => [k, process.env[k]]));

let a: OtlpReceiver;
let b: OtlpReceiver;
let tel: Telemetry | undefined;
let sink: CollectingSink;

before(async () => {
  a = await startOtlpReceiver();
  b = await startOtlpReceiver();
});
after(async () => {
  await a.close();
  await b.close();
  for (const [k, v] of saved) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});
beforeEach(() => {
  for (const k of OTEL_VARS) delete process.env[k];
  a.clear();
  b.clear();
  sink = new CollectingSink('clickhouse');
});
afterEach(async () => {
  await tel?.shutdown();
  tel = undefined;
});

function settings(over: Partial<TelemetrySettings> = {}): TelemetrySettings {
  return {
    serviceName: 'switchyard-test',
    captureContent: false,
    sinks: [sink],
    sinkHealth: () => [sink.health()],
    ...over,
  };
}

function oneCall(t: Telemetry): { traceId: string } {
  const now = Date.now();
  const call = t.recorder.startCall({ operation: 'chat', method: 'POST', path: '/v1/chat/completions', startedAtMs: now });
  const at = call.startAttempt({
    operation: 'chat',
    provider: 'openai',
    providerName: 'openai',
    model: 'gpt-4o-mini',
    stream: false,
    serverAddress: 'api.openai.com',
    startedAtMs: now,
  });
  const ar = attemptRecord({ startedAtMs: now, spanId: at.spanId });
  at.end(ar);
  call.end(callRecord({ startedAtMs: now, traceId: call.traceId, spanId: call.spanId, attempts: [ar] }));
  return { traceId: call.traceId };
}

async function scrape(t: Telemetry): Promise<string> {
  const server = createServer((req, res) => t.prometheusHandler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
    assert.equal(res.status, 200);
    return await res.text();
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

test('config endpoint: spans and metrics reach OTLP with the config headers; resource from env', async () => {
  process.env.OTEL_RESOURCE_ATTRIBUTES = 'k8s.namespace.name=shop,k8s.pod.name=checkout-7d9f-x1,k8s.deployment.name=checkout';
  tel = await startTelemetry(settings({ otlpEndpoint: a.url, otlpHeaders: { 'x-tenant': 'team-a' } }));
  assert.deepEqual(tel.resource, {
    service: 'switchyard-test',
    namespace: 'shop',
    pod: 'checkout-7d9f-x1',
    workload: 'checkout',
  });
  assert.deepEqual(tel.otlp, { traces: `${a.url}/v1/traces`, metrics: `${a.url}/v1/metrics` });

  const { traceId } = oneCall(tel);
  assert.match(traceId, /^[0-9a-f]{32}$/);
  await tel.forceFlush();
  const spans = await a.waitForSpans((s) => s.filter((x) => x.traceId === traceId).length === 2);
  assert.deepEqual(spans.map((s) => s.kind).sort(), ['CLIENT', 'SERVER']);
  assert.equal(spans[0]?.resource['service.name'], 'switchyard-test');
  assert.equal(spans[0]?.resource['k8s.pod.name'], 'checkout-7d9f-x1');
  // Process and host detected, but not the argv (semconv: not collected by default, may hold secrets).
  assert.equal(spans[0]?.resource['process.pid'], process.pid);
  assert.equal(typeof spans[0]?.resource['host.name'], 'string');
  assert.equal(spans[0]?.resource['process.command_args'], undefined);
  assert.equal(spans[0]?.resource['process.command_line'], undefined);
  assert.equal(spans[0]?.scope, 'switchyard');
  const traceReq = a.requests.find((r) => r.path === '/v1/traces');
  assert.equal(traceReq?.headers['x-tenant'], 'team-a');
  assert.match(traceReq?.contentType ?? '', /application\/json/);

  const metrics = await a.waitForMetrics((m) => m.some((x) => x.name === 'switchyard.calls'));
  const calls = metrics.find((m) => m.name === 'switchyard.calls');
  assert.equal(calls?.type, 'sum');
  assert.equal(calls?.points[0]?.value, 1);
  assert.equal(sink.records.length, 1);

  const text = await scrape(tel);
  assert.match(text, /^switchyard_calls_total\{.*switchyard_outcome="ok".*\} 1$/m);
  assert.match(text, /^target_info\{.*service_name="switchyard-test".*\} 1$/m);
});

test('OTEL_RESOURCE_ATTRIBUTES can still set process.command_args', async () => {
  process.env.OTEL_RESOURCE_ATTRIBUTES = 'process.command_args=switchyard serve';
  tel = await startTelemetry(settings({ otlpEndpoint: a.url }));
  const { traceId } = oneCall(tel);
  await tel.forceFlush();
  const spans = await a.waitForSpans((s) => s.filter((x) => x.traceId === traceId).length === 2);
  assert.equal(spans[0]?.resource['process.command_args'], 'switchyard serve');
});

test('once per process: a second start is refused until shutdown', async () => {
  tel = await startTelemetry(settings());
  await assert.rejects(startTelemetry(settings()), /already started/);
  await tel.shutdown();
  tel = await startTelemetry(settings());
  assert.match(oneCall(tel).traceId, /^[0-9a-f]{32}$/);
});

test('OTEL_* variables win over the config file', async () => {
  process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `${b.url}/v1/traces`;
  process.env.OTEL_SERVICE_NAME = 'from-env';
  tel = await startTelemetry(settings({ otlpEndpoint: a.url }));
  assert.equal(tel.resource.service, 'from-env');
  assert.deepEqual(tel.otlp, { traces: `${b.url}/v1/traces`, metrics: `${a.url}/v1/metrics` });
  const { traceId } = oneCall(tel);
  await tel.forceFlush();
  const spans = await b.waitForSpans((s) => s.filter((x) => x.traceId === traceId).length === 2);
  assert.equal(spans[0]?.resource['service.name'], 'from-env');
  assert.equal(a.spans.length, 0);
  assert.equal(
    a.requests.some((r) => r.path === '/v1/metrics'),
    true,
  );
});

test('OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/traces appended; OTEL_TRACES_EXPORTER=none turns traces off', async () => {
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = b.url;
  process.env.OTEL_METRICS_EXPORTER = 'none';
  tel = await startTelemetry(settings({ otlpEndpoint: a.url }));
  assert.deepEqual(tel.otlp, { traces: `${b.url}/v1/traces`, metrics: null });
  const { traceId } = oneCall(tel);
  await tel.forceFlush();
  await b.waitForSpans((s) => s.filter((x) => x.traceId === traceId).length === 2);
  await tel.shutdown();

  process.env.OTEL_TRACES_EXPORTER = 'none';
  tel = await startTelemetry(settings({ otlpEndpoint: a.url }));
  assert.equal(tel.otlp.traces, null);
});

test('SWITCHYARD_SPANS sdk|lean × SWITCHYARD_OTLP_EXPORTER otel|lean: same spans, env endpoint and headers; sdk|lean, otel|lean only', async () => {
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = b.url;
  process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-tenant=team-b,x-both=generic';
  process.env.OTEL_EXPORTER_OTLP_TRACES_HEADERS = 'x-both=traces';
  process.env.OTEL_METRICS_EXPORTER = 'none';
  const decoded: Record<string, unknown>[][] = [];
  for (const choice of ['sdk+otel', 'sdk+lean', 'lean+', 'lean+otel']) {
    b.clear();
    const [spansPath, exporter] = choice.split('+') as [string, string];
    process.env.SWITCHYARD_SPANS = spansPath;
    if (exporter === '') delete process.env.SWITCHYARD_OTLP_EXPORTER;
    else process.env.SWITCHYARD_OTLP_EXPORTER = exporter;
    tel = await startTelemetry(settings({ otlpEndpoint: a.url }));
    const { traceId } = oneCall(tel);
    await tel.forceFlush();
    const spans = await b.waitForSpans((s) => s.filter((x) => x.traceId === traceId).length === 2);
    const traces = b.requests.filter((r) => r.path === '/v1/traces');
    assert.equal(traces[0]?.headers['x-tenant'], 'team-b', choice);
    assert.equal(traces[0]?.headers['x-both'], 'traces', choice);
    // Everything but the ids and times, which differ between the two calls.
    decoded.push(spans.map(({ traceId: _t, spanId: _s, parentSpanId: _p, startTimeUnixNano: _a, endTimeUnixNano: _b, ...rest }) => rest));
    await tel.shutdown();
    tel = undefined;
  }
  assert.equal(decoded.length, 4);
  for (const d of decoded.slice(1)) {
    assert.equal(d.length, 2);
    assert.deepEqual(d, decoded[0]);
  }
  assert.equal(a.requests.length, 0);

  process.env.SWITCHYARD_SPANS = 'fast';
  await assert.rejects(startTelemetry(settings({ otlpEndpoint: a.url })), /SWITCHYARD_SPANS must be sdk or lean/);
  process.env.SWITCHYARD_SPANS = 'sdk';

  process.env.SWITCHYARD_OTLP_EXPORTER = 'fast';
  await assert.rejects(startTelemetry(settings({ otlpEndpoint: a.url })), /SWITCHYARD_OTLP_EXPORTER must be otel or lean/);
});

test('no endpoint anywhere: nothing exported, ids still real, extra processors and sinks still fed', async () => {
  const memory = new InMemorySpanExporter();
  tel = await startTelemetry(settings({ extraSpanProcessors: [new SimpleSpanProcessor(memory)] }));
  assert.deepEqual(tel.otlp, { traces: null, metrics: null });
  const { traceId } = oneCall(tel);
  assert.notEqual(traceId, '0'.repeat(32));
  assert.equal(memory.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId).length, 2);
  assert.equal(sink.records.length, 1);
  assert.equal(a.requests.length + b.requests.length, 0);
  assert.match(await scrape(tel), /switchyard_calls_total/);
});

test('OTEL_SDK_DISABLED: no SDK, but the sinks still get every record', async () => {
  process.env.OTEL_SDK_DISABLED = 'true';
  tel = await startTelemetry(settings({ otlpEndpoint: a.url }));
  oneCall(tel);
  assert.equal(sink.records.length, 1);
  assert.deepEqual(tel.otlp, { traces: null, metrics: null });
  assert.match(await scrape(tel), /OTEL_SDK_DISABLED/);
  await tel.forceFlush();
  assert.equal(a.requests.length, 0);
});
