import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { AttemptRecord, CallRecord } from '../../../src/core/call-record.js';
import { createCallHistograms } from '../../../src/telemetry/call-histograms.js';
import { createRecorder, type SwitchyardRecorder } from '../../../src/telemetry/recorder.js';
import type { AttemptHandle, CallHandle } from '../../../src/telemetry/recorder-types.js';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../../support/otlp-receiver.js';
import { attemptStartOf } from '../../support/attempt-start.js';
import { CollectingSink, attemptRecord, callRecord } from './records.js';

/** Recorder → real OTLP/HTTP JSON exporter → in-process receiver (its meters read by a Prometheus reader, as in the sidecar). */

let receiver: OtlpReceiver;
let tracerProvider: BasicTracerProvider;
let meterProvider: MeterProvider;
const histograms = createCallHistograms();
let prometheus: PrometheusExporter;
let sink: CollectingSink;
let recorder: SwitchyardRecorder;

before(async () => {
  receiver = await startOtlpReceiver();
  tracerProvider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'recorder-test' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` }))],
  });
  prometheus = new PrometheusExporter({ preventServerStart: true, metricProducers: [histograms.producer()] });
  meterProvider = new MeterProvider({ readers: [prometheus] });
  sink = new CollectingSink('clickhouse');
  recorder = createRecorder({ tracerProvider, meterProvider, histograms, sinks: [sink], captureContent: false });
});

after(async () => {
  await tracerProvider.shutdown();
  await meterProvider.shutdown();
  await receiver.close();
});

beforeEach(() => {
  receiver.clear();
  sink.records.length = 0;
});

const ms = (n: number): bigint => BigInt(n) * 1_000_000n;

interface Ran {
  call: CallHandle;
  attempts: AttemptHandle[];
  record: CallRecord;
}

/** Does what the gateway does: open the call, open and end each attempt, end the call. */
function runCall(p: {
  rec?: SwitchyardRecorder;
  traceparent?: string;
  tracestate?: string;
  path?: string;
  t0: number;
  attempts: Array<Partial<AttemptRecord>>;
  call: (attempts: AttemptRecord[], ids: { traceId: string; spanId: string }) => Partial<CallRecord>;
}): Ran {
  const rec = p.rec ?? recorder;
  const call = rec.startCall({
    operation: 'chat',
    method: 'POST',
    path: p.path ?? '/v1/chat/completions',
    startedAtMs: p.t0,
    ...(p.traceparent ? { traceparent: p.traceparent } : {}),
    ...(p.tracestate ? { tracestate: p.tracestate } : {}),
  });
  const handles: AttemptHandle[] = [];
  const records: AttemptRecord[] = [];
  for (const [index, over] of p.attempts.entries()) {
    const a = attemptRecord({ startedAtMs: p.t0 + 1 + index * 300, index, ...over });
    const h = call.startAttempt(attemptStartOf(a));
    a.spanId = h.spanId;
    h.end(a);
    handles.push(h);
    records.push(a);
  }
  const record = callRecord({
    startedAtMs: p.t0,
    traceId: call.traceId,
    spanId: call.spanId,
    attempts: records,
    ...p.call(records, { traceId: call.traceId, spanId: call.spanId }),
  });
  call.end(record);
  return { call, attempts: handles, record };
}

async function spansOf(traceId: string, count: number): Promise<{ server: ReceivedSpan; clients: ReceivedSpan[] }> {
  await tracerProvider.forceFlush();
  const spans = await receiver.waitForSpans((s) => s.filter((x) => x.traceId === traceId).length >= count);
  const mine = spans.filter((x) => x.traceId === traceId);
  assert.equal(mine.length, count);
  const server = mine.find((s) => s.kind === 'SERVER');
  assert.ok(server, 'a SERVER span');
  const clients = mine
    .filter((s) => s.kind === 'CLIENT')
    .sort((a, b) => Number(a.attributes['switchyard.attempt.index']) - Number(b.attributes['switchyard.attempt.index']));
  return { server, clients };
}

describe('recorder', () => {
  test('ok call: SERVER and CLIENT spans carry every attribute, timed from the records', async () => {
    const t0 = Math.floor(Date.now());
    const ran = runCall({ t0, attempts: [{}], call: () => ({ latencyMs: 260 }) });
    const { server, clients } = await spansOf(ran.call.traceId, 2);

    assert.equal(server.name, 'POST /v1/chat/completions');
    assert.equal(server.spanId, ran.call.spanId);
    assert.equal(server.parentSpanId, '');
    assert.deepEqual(server.status, { code: 0 });
    assert.equal(server.startTimeUnixNano, ms(t0));
    assert.equal(server.endTimeUnixNano, ms(t0 + 260));
    assert.equal(server.resource['service.name'], 'recorder-test');
    assert.deepEqual(server.attributes, {
      'http.request.method': 'POST',
      'url.path': '/v1/chat/completions',
      'switchyard.call.id': '0190d7a0-0000-7000-8000-000000000001',
      'switchyard.feature': 'support-chat',
      'switchyard.route': 'support-chat',
      'switchyard.operation': 'chat',
      'switchyard.outcome': 'ok',
      'switchyard.streamed': false,
      'switchyard.requested_model': 'gpt-4o-mini',
      'switchyard.attempt.count': 1,
      'switchyard.retry.count': 0,
      'switchyard.fallback.path': 'openai/gpt-4o-mini',
      'switchyard.final.provider': 'openai',
      'switchyard.final.model': 'gpt-4o-mini',
      'switchyard.usage.input_tokens': 120,
      'switchyard.usage.output_tokens': 30,
      'switchyard.cost.usd': 0.0012,
      'switchyard.overhead_ms': 0.4,
      'switchyard.config.hash': 'cfg-1a2b3c',
      'switchyard.price_table.version': '2025-01-15',
      'http.response.status_code': 200,
    });

    const [client] = clients;
    assert.ok(client);
    assert.equal(client.name, 'chat gpt-4o-mini');
    assert.equal(client.parentSpanId, server.spanId);
    assert.equal(client.spanId, ran.attempts[0]?.spanId);
    assert.deepEqual(client.status, { code: 0 });
    assert.equal(client.startTimeUnixNano, ms(t0 + 1));
    assert.equal(client.endTimeUnixNano, ms(t0 + 1 + 250));
    assert.deepEqual(client.attributes, {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.stream': false,
      'server.address': 'api.openai.com',
      'server.port': 443,
      'switchyard.provider': 'openai',
      'switchyard.attempt.index': 0,
      'switchyard.attempt.target_index': 0,
      'switchyard.attempt.try': 1,
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.id': 'chatcmpl-abc123',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 30,
      'gen_ai.usage.cache_read.input_tokens': 100,
      'gen_ai.usage.reasoning.output_tokens': 10,
      'http.response.status_code': 200,
      'switchyard.cost.usd': 0.0012,
    });

    assert.deepEqual(sink.records, [ran.record]);
    assert.equal(recorder.openSpans, 0);
  });

  test('retry: two CLIENT spans under one SERVER span; the failed one has status ERROR', async () => {
    const t0 = Math.floor(Date.now());
    const ran = runCall({
      t0,
      attempts: [
        {
          outcome: 'error',
          httpStatus: 500,
          errorType: 'upstream_5xx',
          costUsd: null,
          usage: undefined,
          responseModel: undefined,
          responseId: undefined,
          finishReasons: undefined,
        },
        { tryNumber: 2, timeToFirstChunkMs: 120 },
      ],
      call: () => ({ attemptCount: 2, retryCount: 1, latencyMs: 700 }),
    });
    const { server, clients } = await spansOf(ran.call.traceId, 3);
    assert.equal(server.attributes['switchyard.attempt.count'], 2);
    assert.equal(server.attributes['switchyard.retry.count'], 1);
    assert.equal(server.attributes['switchyard.outcome'], 'ok');
    assert.equal(server.attributes['switchyard.fallback.path'], 'openai/gpt-4o-mini');
    assert.deepEqual(server.status, { code: 0 });

    const [first, second] = clients;
    assert.ok(first && second);
    assert.equal(first.parentSpanId, server.spanId);
    assert.equal(second.parentSpanId, server.spanId);
    assert.deepEqual(first.status, { code: 2, message: 'upstream_5xx' });
    assert.equal(first.attributes['error.type'], 'upstream_5xx');
    assert.equal(first.attributes['http.response.status_code'], 500);
    assert.equal(first.attributes['switchyard.cost.usd'], undefined);
    assert.equal(first.attributes['gen_ai.usage.input_tokens'], undefined);
    assert.deepEqual(second.status, { code: 0 });
    assert.equal(second.attributes['switchyard.attempt.try'], 2);
    assert.equal(second.attributes['gen_ai.response.time_to_first_chunk'], 0.12);
    assert.equal(second.attributes['error.type'], undefined);
  });

  test('fallback: the path, the final provider and each CLIENT span name its provider', async () => {
    const t0 = Math.floor(Date.now());
    const ran = runCall({
      t0,
      attempts: [
        { outcome: 'error', httpStatus: 429, errorType: 'rate_limited', costUsd: null, usage: undefined },
        {
          targetIndex: 1,
          provider: 'deepseek',
          providerName: 'deepseek',
          model: 'deepseek-chat',
          responseModel: 'deepseek-chat',
          serverAddress: 'api.deepseek.com',
          costUsd: 0.0003,
        },
      ],
      call: () => ({
        attemptCount: 2,
        fallbackPath: ['openai/gpt-4o-mini', 'deepseek/deepseek-chat'],
        finalProvider: 'deepseek',
        finalModel: 'deepseek-chat',
        costUsd: 0.0003,
      }),
    });
    const { server, clients } = await spansOf(ran.call.traceId, 3);
    assert.equal(server.attributes['switchyard.fallback.path'], 'openai/gpt-4o-mini>deepseek/deepseek-chat');
    assert.equal(server.attributes['switchyard.final.provider'], 'deepseek');
    assert.equal(server.attributes['switchyard.final.model'], 'deepseek-chat');
    assert.equal(server.attributes['switchyard.cost.usd'], 0.0003);
    assert.deepEqual(
      clients.map((c) => [c.name, c.attributes['gen_ai.provider.name'], c.attributes['server.address'], c.status.code]),
      [
        ['chat gpt-4o-mini', 'openai', 'api.openai.com', 2],
        ['chat deepseek-chat', 'deepseek', 'api.deepseek.com', 0],
      ],
    );
    assert.equal(clients[1]?.attributes['switchyard.attempt.target_index'], 1);
  });

  test('total failure: SERVER span has outcome error, error.type, status ERROR and no cost', async () => {
    const t0 = Math.floor(Date.now());
    const failed = { outcome: 'error' as const, httpStatus: 503, errorType: 'upstream_5xx', costUsd: null, usage: undefined };
    const ran = runCall({
      t0,
      attempts: [failed, { ...failed, tryNumber: 2 }],
      call: () => ({
        outcome: 'error',
        errorType: 'upstream_5xx',
        httpStatus: 503,
        attemptCount: 2,
        retryCount: 1,
        usage: {},
        costUsd: null,
      }),
    });
    const { server, clients } = await spansOf(ran.call.traceId, 3);
    assert.equal(server.attributes['switchyard.outcome'], 'error');
    assert.equal(server.attributes['error.type'], 'upstream_5xx');
    assert.equal(server.attributes['http.response.status_code'], 503);
    assert.deepEqual(server.status, { code: 2, message: 'upstream_5xx' });
    assert.equal('switchyard.cost.usd' in server.attributes, false);
    assert.equal('switchyard.usage.input_tokens' in server.attributes, false);
    assert.deepEqual(
      clients.map((c) => c.status.code),
      [2, 2],
    );
  });

  test('traceparent from the app: same trace, SERVER is its child, upstream gets the CLIENT span', async () => {
    const appTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const appSpan = '00f067aa0ba902b7';
    const t0 = Math.floor(Date.now());
    const ran = runCall({
      t0,
      traceparent: `00-${appTrace}-${appSpan}-01`,
      tracestate: 'vendor=abc',
      attempts: [{}],
      call: () => ({}),
    });
    assert.equal(ran.call.traceId, appTrace);
    const { server, clients } = await spansOf(appTrace, 2);
    assert.equal(server.parentSpanId, appSpan);
    const [client] = clients;
    assert.ok(client);
    assert.deepEqual(ran.attempts[0]?.propagationHeaders, {
      traceparent: `00-${appTrace}-${client.spanId}-01`,
      tracestate: 'vendor=abc',
    });
  });

  test('without traceparent: a new trace, and the upstream header names the CLIENT span', async () => {
    const ran = runCall({ t0: Math.floor(Date.now()), attempts: [{}], call: () => ({}) });
    assert.match(ran.call.traceId, /^[0-9a-f]{32}$/);
    assert.notEqual(ran.call.traceId, '0'.repeat(32));
    const h = ran.attempts[0];
    assert.ok(h);
    assert.deepEqual(h.propagationHeaders, { traceparent: `00-${ran.call.traceId}-${h.spanId}-01` });
    const { server } = await spansOf(ran.call.traceId, 2);
    assert.equal(server.parentSpanId, '');
  });

  test('a malformed traceparent starts a new trace instead of failing', async () => {
    const ran = runCall({ t0: Math.floor(Date.now()), traceparent: 'garbage', attempts: [{}], call: () => ({}) });
    const { server } = await spansOf(ran.call.traceId, 2);
    assert.equal(server.parentSpanId, '');
  });

  test('no secrets: the query string never reaches span names or url.path', async () => {
    const ran = runCall({
      t0: Math.floor(Date.now()),
      path: '/v1/chat/completions?api-key=sk-live-SECRET123',
      attempts: [{}],
      call: () => ({}),
    });
    const { server } = await spansOf(ran.call.traceId, 2);
    assert.equal(server.name, 'POST /v1/chat/completions');
    assert.equal(server.attributes['url.path'], '/v1/chat/completions');
    const all = receiver.rawTraceBodies.join('\n');
    assert.equal(all.includes('SECRET123'), false);
    assert.equal(/sk-[A-Za-z0-9-]{8,}/.test(all), false);
  });

  test('content is dropped (spans and sinks) when capture is off', async () => {
    const ran = runCall({
      t0: Math.floor(Date.now()),
      attempts: [{}],
      call: () => ({ content: { input: 'PROMPT-TEXT-1', output: 'COMPLETION-TEXT-1' } }),
    });
    const { server } = await spansOf(ran.call.traceId, 2);
    assert.equal('switchyard.content.input' in server.attributes, false);
    assert.equal(receiver.rawTraceBodies.join('').includes('PROMPT-TEXT-1'), false);
    assert.equal(sink.records.length, 1);
    assert.equal(sink.records[0]?.content, undefined);
    assert.equal(sink.records[0]?.callId, ran.record.callId);
  });

  test('content is recorded when capture is on', async () => {
    const onSink = new CollectingSink('on');
    const rec = createRecorder({ tracerProvider, meterProvider, histograms, sinks: [onSink], captureContent: true });
    assert.equal(rec.captureContent, true);
    const ran = runCall({
      rec,
      t0: Math.floor(Date.now()),
      attempts: [{}],
      call: () => ({ content: { input: 'PROMPT-TEXT-2', output: 'COMPLETION-TEXT-2' } }),
    });
    const { server } = await spansOf(ran.call.traceId, 2);
    assert.equal(server.attributes['switchyard.content.input'], 'PROMPT-TEXT-2');
    assert.equal(server.attributes['switchyard.content.output'], 'COMPLETION-TEXT-2');
    assert.deepEqual(onSink.records[0]?.content, { input: 'PROMPT-TEXT-2', output: 'COMPLETION-TEXT-2' });
  });

  test('ending twice is a no-op: one span each, one record to the sink', async () => {
    const ran = runCall({ t0: Math.floor(Date.now()), attempts: [{}], call: () => ({}) });
    ran.call.end(ran.record);
    ran.attempts[0]?.end(ran.record.attempts[0] as AttemptRecord);
    await spansOf(ran.call.traceId, 2);
    assert.equal(sink.records.length, 1);
    assert.equal(recorder.openSpans, 0);
  });

  test('a throwing sink does not stop the others or the caller', async () => {
    const good = new CollectingSink('good');
    const bad = new CollectingSink('bad');
    bad.write = () => {
      throw new Error('boom');
    };
    const rec = createRecorder({ tracerProvider, meterProvider, histograms, sinks: [bad, good], captureContent: false });
    const ran = runCall({ rec, t0: Math.floor(Date.now()), attempts: [{}], call: () => ({}) });
    assert.deepEqual(good.records, [ran.record]);
  });

  test('an attempt still open shows in openSpans until it ends', () => {
    const call = recorder.startCall({ operation: 'chat', method: 'POST', path: '/v1/chat/completions', startedAtMs: Date.now() });
    const a = call.startAttempt({
      operation: 'embeddings',
      provider: 'openai',
      providerName: 'openai',
      model: 'text-embedding-3-small',
      stream: false,
      serverAddress: 'api.openai.com',
      startedAtMs: Date.now(),
    });
    assert.equal(recorder.openSpans, 2);
    a.end(attemptRecord({ startedAtMs: Date.now(), model: 'text-embedding-3-small' }));
    call.end(callRecord({ startedAtMs: Date.now(), traceId: call.traceId, spanId: call.spanId }));
    assert.equal(recorder.openSpans, 0);
  });
});
