import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import { SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createCallHistograms } from '../../../src/telemetry/call-histograms.js';
import { LeanBatchSpanProcessor } from '../../../src/telemetry/lean-otlp/lean-span-processor.js';
import { createOtlpPoster } from '../../../src/telemetry/lean-otlp/post-otlp.js';
import { leanSpanOutput } from '../../../src/telemetry/lean-spans.js';
import { createRecorder } from '../../../src/telemetry/recorder.js';
import { type OtlpReceiver, startOtlpReceiver } from '../../support/otlp-receiver.js';
import { attemptRecord, callRecord } from './records.js';

/**
 * The lean OTLP/HTTP JSON span path (SWITCHYARD_OTLP_EXPORTER=lean) against the official exporter:
 * the same spans give the same request body, byte for byte, and the receiver decodes the same
 * spans (ids, times, attributes, status, resource). Then batching, drops and retries.
 */

let receiver: OtlpReceiver;
before(async () => {
  receiver = await startOtlpReceiver();
});
after(async () => {
  await receiver.close();
});
beforeEach(() => receiver.clear());

/** Real recorder spans (SERVER with remote parent + tracestate, CLIENT ok and failed) and odd ones. */
function makeSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const resource = resourceFromAttributes({
    'service.name': 'switchyard-test',
    'k8s.pod.name': 'pod-ü-"quoted"',
    'process.pid': 4242,
    'host.arch': 'amd64',
  });
  const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(memory)] });
  const recorder = createRecorder({
    tracerProvider,
    meterProvider: new MeterProvider(),
    histograms: createCallHistograms(),
    sinks: [],
    captureContent: true,
  });
  const now = Date.now() + 0.123456;
  const call = recorder.startCall({
    operation: 'chat',
    method: 'POST',
    path: '/v1/chat/completions?x=1',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    tracestate: 'vendor=abc,other=x y',
    startedAtMs: now,
  });
  const failed = attemptRecord({
    startedAtMs: now + 1,
    durationMs: 12.5,
    outcome: 'error',
    errorType: 'upstream_rate_limited',
    httpStatus: 429,
    usage: undefined,
    costUsd: null,
    responseModel: undefined,
    responseId: undefined,
    finishReasons: undefined,
  });
  call
    .startAttempt({
      operation: 'chat',
      provider: 'openai',
      providerName: 'openai',
      model: 'gpt-4o-mini',
      stream: true,
      serverAddress: 'api.openai.com',
      serverPort: 443,
      startedAtMs: now + 1,
    })
    .end(failed);
  const ok = attemptRecord({
    startedAtMs: now + 20,
    index: 1,
    targetIndex: 1,
    timeToFirstChunkMs: 33.3,
    finishReasons: ['stop', 'length'],
  });
  call
    .startAttempt({
      operation: 'chat',
      provider: 'deepseek',
      providerName: 'deepseek',
      model: 'deepseek-chat',
      stream: true,
      serverAddress: 'api.deepseek.com',
      startedAtMs: now + 20,
    })
    .end(ok);
  call.end(
    callRecord({
      startedAtMs: now,
      traceId: call.traceId,
      spanId: call.spanId,
      attempts: [failed, ok],
      streamed: true,
      timeToFirstChunkMs: 40.25,
      content: { input: 'line 1\nline "2"\t\\ é 😀 \u0001', output: '</script>' },
    }),
  );
  // Events, links, an unsampled-looking name with unicode, a root INTERNAL span with no status message.
  const tracer = tracerProvider.getTracer('other-scope', '1.2.3');
  const s = tracer.startSpan('naïve span', {
    kind: SpanKind.INTERNAL,
    links: [
      {
        context: {
          traceId: '0af7651916cd43dd8448eb211c80319c',
          spanId: 'b7ad6b7169203331',
          traceFlags: TraceFlags.SAMPLED,
          isRemote: true,
        },
        attributes: { l: 1 },
      },
    ],
    attributes: { big: 2 ** 53, neg: -1.5, flag: false, list: [1, 2, 3], strs: ['a', 'b'] },
  });
  s.addEvent('evt', { n: 0.1 });
  s.setStatus({ code: SpanStatusCode.OK });
  s.end();
  return memory.getFinishedSpans().slice();
}

async function postWithOfficial(spans: ReadableSpan[]): Promise<string> {
  const exporter = new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` });
  await new Promise<void>((resolve, reject) => exporter.export(spans, (r) => (r.code === 0 ? resolve() : reject(r.error))));
  await exporter.shutdown();
  return receiver.rawTraceBodies.at(-1) as string;
}

async function postWithLean(spans: ReadableSpan[], over: Partial<ConstructorParameters<typeof LeanBatchSpanProcessor>[0]> = {}) {
  const p = new LeanBatchSpanProcessor({
    poster: createOtlpPoster({ url: `${receiver.url}/v1/traces`, headers: { 'x-tenant': 'a' }, timeoutMs: 2000, compression: 'none' }),
    maxExportBatchSize: 512,
    maxQueueSize: 2048,
    scheduledDelayMillis: 5000,
    exportTimeoutMillis: 5000,
    ...over,
  });
  for (const s of spans) p.onEnd(s);
  await p.shutdown();
  return p;
}

test('lean: the same request body as the official exporter, byte for byte, and the same decoded spans', async () => {
  const spans = makeSpans();
  assert.equal(spans.length, 4);
  const official = await postWithOfficial(spans);
  const officialSpans = receiver.spans.slice();
  assert.equal(officialSpans.length, 4);
  receiver.clear();
  const p = await postWithLean(spans);
  assert.equal(receiver.rawTraceBodies.length, 1);
  assert.equal(receiver.rawTraceBodies[0], official);
  assert.deepEqual(receiver.spans, officialSpans);
  assert.equal(p.exportedSpans, 4);
  // What the receiver decoded is the recorder's output: ids, parent, tracestate-bearing trace, times.
  const server = receiver.spans.find((s) => s.kind === 'SERVER');
  assert.equal(server?.traceId, '0af7651916cd43dd8448eb211c80319c');
  assert.equal(server?.parentSpanId, 'b7ad6b7169203331');
  assert.equal(server?.attributes['switchyard.content.input'], 'line 1\nline "2"\t\\ é 😀 \u0001');
  assert.equal(receiver.requests[0]?.headers['x-tenant'], 'a');
  assert.equal(receiver.requests[0]?.contentType, 'application/json');
});

test('lean: batches of maxExportBatchSize, the rest on flush; a full queue drops and counts', async () => {
  const spans = makeSpans();
  const many = Array.from({ length: 10 }, () => spans).flat();
  const p = await postWithLean(many, { maxExportBatchSize: 8, maxQueueSize: 30 });
  // One export is in flight from the 8th span on; the queue holds 30 more; the rest are dropped.
  assert.equal(p.exportedSpans + p.dropped, 40);
  assert.equal(receiver.spans.length, p.exportedSpans);
  assert.ok(receiver.rawTraceBodies.length >= 2);
  for (const body of receiver.rawTraceBodies) {
    const n = (body.match(/"spanId":"/g) ?? []).length - (body.match(/"links":\[\{/g) ?? []).length;
    assert.ok(n <= 8, `batch of ${n}`);
  }
});

test('lean: batches that cut through runs of spans of one scope: each body is the official one for its spans', async () => {
  const spans = makeSpans(); // three spans of the recorder's scope, then one of another scope
  const many = Array.from({ length: 3 }, () => spans).flat();
  const batchSize = 5;
  const want: string[] = [];
  for (let i = 0; i < many.length; i += batchSize) want.push(await postWithOfficial(many.slice(i, i + batchSize)));
  receiver.clear();
  const p = await postWithLean(many, { maxExportBatchSize: batchSize, scheduledDelayMillis: 60_000 });
  assert.equal(p.exportedSpans, many.length);
  assert.equal(receiver.rawTraceBodies.length, want.length);
  for (const [i, body] of receiver.rawTraceBodies.entries()) assert.equal(body, want[i], `batch ${i}`);
});

test('lean: 503 with Retry-After then 200 is retried; 400 is not; a failed export is counted', async () => {
  const statuses = [503, 200, 400];
  const seen: number[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const status = statuses.shift() ?? 200;
      seen.push(status);
      res.writeHead(status, status === 503 ? { 'retry-after': '0' } : {}).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
    const warnings: string[] = [];
    const p = new LeanBatchSpanProcessor({
      poster: createOtlpPoster({ url, headers: {}, timeoutMs: 5000, compression: 'none' }),
      maxExportBatchSize: 4,
      maxQueueSize: 100,
      scheduledDelayMillis: 10,
      exportTimeoutMillis: 5000,
      onWarn: (m) => void warnings.push(m),
    });
    const spans = makeSpans();
    for (const s of spans) p.onEnd(s);
    await p.forceFlush();
    assert.deepEqual(seen, [503, 200]);
    assert.equal(p.exportedSpans, 4);
    for (const s of spans) p.onEnd(s);
    await p.shutdown();
    assert.deepEqual(seen, [503, 200, 400]);
    assert.equal(p.failedSpans, 4);
    assert.deepEqual(warnings, ['span export failed']);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('lean: spans without the sampled flag are not exported', async () => {
  const [kept] = makeSpans();
  assert.ok(kept);
  const unsampled: ReadableSpan = Object.create(kept, {
    spanContext: { value: () => ({ ...kept.spanContext(), traceFlags: TraceFlags.NONE }) },
  });
  const p = await postWithLean([unsampled, kept]);
  assert.equal(p.exportedSpans, 1);
  assert.equal(receiver.spans.length, 1);
});

test('lean spans: non-ASCII names and values, control characters, lone surrogates, quotes: the official body', async () => {
  // The lean recorder writes its spans to OTLP bytes itself; the ReadableSpan-shaped copies it
  // hands to processors go through the official exporter. Same bytes.
  const bodies: Buffer[] = [];
  const batch = new LeanBatchSpanProcessor({
    // The body is lent until the post settles (OtlpPoster): keep a copy.
    poster: { post: async (b) => void bodies.push(Buffer.from(b)), close: async () => {} },
    maxExportBatchSize: 512,
    maxQueueSize: 2048,
    scheduledDelayMillis: 60_000,
    exportTimeoutMillis: 5000,
  });
  const readable: ReadableSpan[] = [];
  const recorder = createRecorder({
    tracerProvider: new BasicTracerProvider(),
    meterProvider: new MeterProvider(),
    histograms: createCallHistograms(),
    sinks: [],
    captureContent: true,
    leanSpans: leanSpanOutput({
      resource: resourceFromAttributes({ 'service.name': '网关-"switchyard"', 'k8s.pod.name': 'pod-\u0001-\ud800' }),
      sampler: { parentBased: true, upperBound: 0x100000000 },
      batcher: batch,
      spanSinks: [],
      processors: [{ onStart() {}, onEnd: (s) => void readable.push(s), forceFlush: async () => {}, shutdown: async () => {} }],
    }),
  });
  const now = Date.now() + 0.5;
  const call = recorder.startCall({
    operation: 'chat',
    method: 'POST',
    path: '/v1/chat/completions/客服',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    tracestate: 'vendor=ü',
    startedAtMs: now,
  });
  const start = {
    operation: 'chat' as const,
    provider: 'qwen',
    providerName: 'qwen',
    model: '通义千问-max',
    stream: true,
    serverAddress: 'dashscope.aliyuncs.com',
    serverPort: 443,
    startedAtMs: now + 1,
  };
  const failed = attemptRecord({
    ...start,
    outcome: 'error',
    errorType: 'upstream "error"\n\t\u0000\u001f \\ \ud800 错误',
    responseModel: '通义千问-max-0919',
    responseId: 'id-"q"\\\u2028',
    finishReasons: ['stop', '长度', '😀', '\udc00'],
    timeToFirstChunkMs: 12.345,
  });
  const h = call.startAttempt(start);
  h.end({ ...failed, spanId: h.spanId });
  call.end(
    callRecord({
      startedAtMs: now,
      traceId: call.traceId,
      spanId: call.spanId,
      feature: '客服-聊天',
      route: '客服',
      requestedModel: '通义千问-max',
      finalProvider: 'qwen',
      finalModel: '通义千问-max',
      fallbackPath: ['qwen/通义千问-max'],
      outcome: 'error',
      errorType: '错误 "x"',
      configHash: 'ç',
      content: { input: '你好 😀 \u0000 "\\', output: '\udc00\ud800 end' },
      attempts: [failed],
    }),
  );
  await batch.shutdown();
  assert.equal(bodies.length, 1);
  assert.equal(readable.length, 2);
  assert.equal(String(bodies[0]), await postWithOfficial(readable));
  const server = receiver.spans.find((s) => s.kind === 'SERVER');
  assert.equal(server?.attributes['switchyard.feature'], '客服-聊天');
  assert.equal(server?.attributes['switchyard.content.output'], '\udc00\ud800 end');
});
