import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { metrics } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { AttemptRecord, CallRecord } from '../../../src/core/call-record.js';
import { serializeEndedSpanRow, toEndedSpanRow } from '../../../src/sinks/clickhouse/rows/ended-span-row.js';
import { serializeOtelSpanRow } from '../../../src/sinks/clickhouse/rows/otel-span-row.js';
import { NOOP_CALL_HISTOGRAMS } from '../../../src/telemetry/call-histograms.js';
import type { EndedSpan, EndedSpanSink } from '../../../src/telemetry/ended-span.js';
import { encodeSpanJson } from '../../../src/telemetry/lean-otlp/encode-span-json.js';
import { LeanBatchSpanProcessor } from '../../../src/telemetry/lean-otlp/lean-span-processor.js';
import {
  type LeanSampler,
  leanSpanOutput,
  parseTraceparent,
  randomHex,
  ratioBound,
  samplerFromEnv,
} from '../../../src/telemetry/lean-spans.js';
import { createRecorder, type SwitchyardRecorder } from '../../../src/telemetry/recorder.js';
import { attemptRecord, callRecord } from './records.js';

/**
 * The lean span path against the SDK path: the same calls through both recorders must give the
 * same OTLP request bodies, byte for byte, once the random ids are mapped, and the same
 * ReadableSpans for the other span exporters (ClickHouse otel_traces rows).
 */
const resource = resourceFromAttributes({ 'service.name': 'lean-test', 'host.name': 'h1' });

/** A span sink that keeps the ended spans (what the ClickHouse sink gets on the lean path). */
class CollectEnded implements EndedSpanSink {
  spans: EndedSpan[] = [];
  readonly spanExporter = new InMemorySpanExporter();
  writeSpan(span: EndedSpan): void {
    this.spans.push(span);
  }
}

class Collect implements SpanProcessor {
  spans: ReadableSpan[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.spans.push(span);
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

function batcher(bodies: Buffer[]): LeanBatchSpanProcessor {
  return new LeanBatchSpanProcessor({
    // The body is lent until the post settles (OtlpPoster): keep a copy.
    poster: { post: async (b) => void bodies.push(Buffer.from(b)), close: async () => {} },
    maxExportBatchSize: 512,
    maxQueueSize: 2048,
    scheduledDelayMillis: 60_000,
    exportTimeoutMillis: 5000,
  });
}

interface Side {
  recorder: SwitchyardRecorder;
  bodies: Buffer[];
  batch: LeanBatchSpanProcessor;
  collect: Collect;
  ended?: CollectEnded;
  provider?: BasicTracerProvider;
}

function sdkSide(): Side {
  const bodies: Buffer[] = [];
  const batch = batcher(bodies);
  const collect = new Collect();
  const provider = new BasicTracerProvider({ resource, spanProcessors: [batch, collect] });
  const recorder = createRecorder({
    tracerProvider: provider,
    meterProvider: metrics.getMeterProvider(),
    histograms: NOOP_CALL_HISTOGRAMS,
    sinks: [],
    captureContent: true,
  });
  return { recorder, bodies, batch, collect, provider };
}

function leanSide(sampler: LeanSampler = { parentBased: true, upperBound: 0x100000000 }): Side {
  const bodies: Buffer[] = [];
  const batch = batcher(bodies);
  const collect = new Collect();
  const ended = new CollectEnded();
  const recorder = createRecorder({
    tracerProvider: new BasicTracerProvider(),
    meterProvider: metrics.getMeterProvider(),
    histograms: NOOP_CALL_HISTOGRAMS,
    sinks: [],
    captureContent: true,
    leanSpans: leanSpanOutput({ resource, sampler, batcher: batch, spanSinks: [ended], processors: [collect] }),
  });
  return { recorder, bodies, batch, collect, ended };
}

interface Scenario {
  traceparent?: string;
  tracestate?: string;
  path?: string;
  t0: number;
  attempts: Array<Partial<AttemptRecord>>;
  call: Partial<CallRecord>;
}

/** Runs a call as the gateway does; returns the ids it got (SERVER first, then each CLIENT). */
function run(rec: SwitchyardRecorder, s: Scenario): { traceId: string; spanIds: string[]; headers: Record<string, string>[] } {
  const call = rec.startCall({
    operation: 'chat',
    method: 'POST',
    path: s.path ?? '/v1/chat/completions?x=1',
    startedAtMs: s.t0,
    ...(s.traceparent !== undefined ? { traceparent: s.traceparent } : {}),
    ...(s.tracestate !== undefined ? { tracestate: s.tracestate } : {}),
  });
  const records: AttemptRecord[] = [];
  const spanIds = [call.spanId];
  const headers: Record<string, string>[] = [];
  for (const [index, over] of s.attempts.entries()) {
    const a = attemptRecord({ startedAtMs: s.t0 + 1.25 + index * 300, index, ...over });
    const h = call.startAttempt({
      operation: 'chat',
      provider: a.provider,
      providerName: a.providerName,
      model: a.model,
      stream: a.timeToFirstChunkMs !== undefined,
      serverAddress: a.serverAddress,
      ...(a.serverPort !== undefined ? { serverPort: a.serverPort } : {}),
      startedAtMs: a.startedAtMs,
    });
    a.spanId = h.spanId;
    spanIds.push(h.spanId);
    headers.push({ ...h.propagationHeaders });
    h.end(a);
    records.push(a);
  }
  call.end(callRecord({ startedAtMs: s.t0, traceId: call.traceId, spanId: call.spanId, attempts: records, ...s.call }));
  return { traceId: call.traceId, spanIds, headers };
}

function mapIds(text: string, from: { traceId: string; spanIds: string[] }, to: { traceId: string; spanIds: string[] }): string {
  let out = text.split(from.traceId).join(to.traceId);
  from.spanIds.forEach((id, i) => {
    out = out.split(id).join(to.spanIds[i] as string);
  });
  return out;
}

const T0 = 1_760_000_000_123.375;
const scenarios: Array<[string, Scenario]> = [
  ['ok call, root trace', { t0: T0, attempts: [{}], call: { latencyMs: 260.5 } }],
  [
    'fallback with error, remote parent and tracestate, content, stream',
    {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'vendor=abc,other=x y',
      t0: T0,
      attempts: [
        {
          outcome: 'error',
          errorType: 'upstream_rate_limited',
          httpStatus: 429,
          usage: undefined,
          costUsd: null,
          responseModel: undefined,
          responseId: undefined,
          finishReasons: undefined,
        },
        {
          provider: 'deepseek',
          providerName: 'deepseek',
          model: 'deepseek-chat',
          targetIndex: 1,
          serverPort: undefined,
          timeToFirstChunkMs: 87.5,
        },
      ],
      call: {
        latencyMs: 700,
        attemptCount: 2,
        fallbackPath: ['openai/gpt-4o-mini', 'deepseek/deepseek-chat'],
        streamed: true,
        timeToFirstChunkMs: 390.25,
        content: { input: 'héllo "q"\n', output: 'ok' },
      },
    },
  ],
  [
    'failed call, no attempts answered, end before start',
    {
      t0: T0,
      path: '/v1/embeddings',
      attempts: [
        { outcome: 'error', errorType: 'upstream_timeout', httpStatus: undefined, usage: undefined, costUsd: null, durationMs: -5 },
      ],
      call: { outcome: 'error', errorType: 'upstream_timeout', httpStatus: 504, costUsd: null, usage: {}, latencyMs: 30000 },
    },
  ],
];

describe('lean spans', () => {
  after(() => metrics.disable());

  for (const [name, s] of scenarios) {
    test(`same OTLP body and ReadableSpans as the SDK path: ${name}`, async () => {
      const sdk = sdkSide();
      const lean = leanSide();
      const a = run(sdk.recorder, s);
      const b = run(lean.recorder, s);
      assert.equal(a.traceId.length, 32);
      if (s.traceparent) assert.equal(b.traceId, a.traceId);
      await sdk.batch.forceFlush();
      await lean.batch.forceFlush();
      assert.equal(sdk.bodies.length, 1);
      assert.equal(lean.bodies.length, 1);
      assert.equal(mapIds(String(lean.bodies[0]), b, a), String(sdk.bodies[0]));
      assert.deepEqual(
        b.headers.map((h) => mapIds(JSON.stringify(h), b, a)),
        a.headers.map((h) => JSON.stringify(h)),
      );
      // Other exporters: the same span JSON and the same otel_traces rows.
      assert.equal(lean.collect.spans.length, sdk.collect.spans.length);
      lean.collect.spans.forEach((span, i) => {
        const want = sdk.collect.spans[i] as ReadableSpan;
        assert.equal(mapIds(encodeSpanJson(span), b, a), encodeSpanJson(want));
        assert.equal(mapIds(serializeOtelSpanRow(span), b, a), serializeOtelSpanRow(want));
        assert.deepEqual(span.duration, want.duration);
        assert.equal(span.parentSpanContext?.isRemote, want.parentSpanContext?.isRemote);
        assert.equal(span.parentSpanContext?.traceFlags, want.parentSpanContext?.traceFlags);
      });
      // Span sinks: the ended spans themselves, whose otel_traces rows are those of the SDK spans.
      const ended = lean.ended?.spans ?? [];
      assert.equal(ended.length, sdk.collect.spans.length);
      ended.forEach((span, i) => {
        const want = serializeOtelSpanRow(sdk.collect.spans[i] as ReadableSpan);
        assert.equal(mapIds(serializeEndedSpanRow(span), b, a), want);
        assert.equal(mapIds(JSON.stringify(toEndedSpanRow(span)), b, a), want);
      });
      assert.equal(lean.recorder.openSpans, 0);
      await sdk.provider?.shutdown();
    });
  }

  test('many calls through small batches (buffers reused once posted): every body is the SDK path body', async () => {
    const sdk = sdkSide();
    const lean = leanSide();
    for (const side of [sdk, lean]) {
      (side.batch as unknown as { o: { maxExportBatchSize: number } }).o.maxExportBatchSize = 3;
    }
    const maps: Array<[ReturnType<typeof run>, ReturnType<typeof run>]> = [];
    for (let i = 0; i < 40; i++) {
      const [, s] = scenarios[i % scenarios.length] as [string, Scenario];
      const t0 = T0 + i * 1000.125;
      maps.push([run(sdk.recorder, { ...s, t0 }), run(lean.recorder, { ...s, t0 })]);
      // Let posts settle (and buffers come back) as calls go on.
      if (i % 5 === 4) await new Promise((r) => setImmediate(r));
    }
    await sdk.batch.forceFlush();
    await lean.batch.forceFlush();
    assert.ok(lean.bodies.length > 10, `${lean.bodies.length} bodies`);
    let leanText = lean.bodies.map(String).join('\n');
    for (const [a, b] of maps) leanText = mapIds(leanText, b, a);
    assert.equal(leanText, sdk.bodies.map(String).join('\n'));
    for (const body of lean.bodies) JSON.parse(String(body));
    await sdk.provider?.shutdown();
  });

  test('unsampled parent: ids and propagation, nothing exported', async () => {
    const lean = leanSide();
    const sdk = sdkSide();
    const s: Scenario = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00', t0: T0, attempts: [{}], call: {} };
    const b = run(lean.recorder, s);
    const a = run(sdk.recorder, s);
    assert.equal(b.traceId, '0af7651916cd43dd8448eb211c80319c');
    assert.match(b.headers[0]?.traceparent ?? '', /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-00$/);
    assert.equal(mapIds(JSON.stringify(b.headers), b, a), JSON.stringify(a.headers));
    await lean.batch.forceFlush();
    assert.equal(lean.bodies.length, 0);
    assert.equal(lean.collect.spans.length, 0);
    assert.equal(lean.ended?.spans.length, 0);
  });

  test('ratio sampling of root traces matches TraceIdRatioBasedSampler; always_off still has ids', async () => {
    const half = leanSide({ parentBased: true, upperBound: ratioBound(0.5) });
    let sampled = 0;
    for (let i = 0; i < 400; i++) {
      const r = run(half.recorder, { t0: T0, attempts: [{}], call: {} });
      const flag = r.headers[0]?.traceparent?.endsWith('-01');
      // TraceIdRatioBasedSampler: XOR of the four 32-bit words below the bound.
      let acc = 0;
      for (let k = 0; k < 32; k += 8) acc = (acc ^ Number.parseInt(r.traceId.slice(k, k + 8), 16)) >>> 0;
      assert.equal(flag, acc < ratioBound(0.5));
      if (flag) sampled++;
    }
    assert.ok(sampled > 120 && sampled < 280, `sampled ${sampled} of 400`);
    const off = leanSide({ parentBased: false, upperBound: 0 });
    const r = run(off.recorder, {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      t0: T0,
      attempts: [{}],
      call: {},
    });
    assert.equal(r.traceId, '0af7651916cd43dd8448eb211c80319c');
    assert.ok(r.headers[0]?.traceparent?.endsWith('-00'));
    await off.batch.forceFlush();
    assert.equal(off.bodies.length, 0);
  });

  test('samplerFromEnv reads OTEL_TRACES_SAMPLER and _ARG', () => {
    const saved = { s: process.env.OTEL_TRACES_SAMPLER, a: process.env.OTEL_TRACES_SAMPLER_ARG };
    try {
      delete process.env.OTEL_TRACES_SAMPLER;
      assert.deepEqual(samplerFromEnv(), { parentBased: true, upperBound: 0x100000000 });
      process.env.OTEL_TRACES_SAMPLER = 'traceidratio';
      process.env.OTEL_TRACES_SAMPLER_ARG = '0.25';
      assert.deepEqual(samplerFromEnv(), { parentBased: false, upperBound: Math.floor(0.25 * 0xffffffff) });
      process.env.OTEL_TRACES_SAMPLER = 'parentbased_always_off';
      assert.deepEqual(samplerFromEnv(), { parentBased: true, upperBound: 0 });
    } finally {
      for (const [k, v] of [
        ['OTEL_TRACES_SAMPLER', saved.s],
        ['OTEL_TRACES_SAMPLER_ARG', saved.a],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  test('traceparent parsing follows the W3C propagator; ids are random hex, never zero', () => {
    assert.deepEqual(parseTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'), {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
    });
    assert.equal(parseTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra'), null);
    assert.notEqual(parseTraceparent('01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra'), null);
    assert.equal(parseTraceparent('ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'), null);
    assert.equal(parseTraceparent(`00-${'0'.repeat(32)}-b7ad6b7169203331-01`), null);
    assert.equal(parseTraceparent('00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01'), null);
    assert.equal(parseTraceparent('garbage'), null);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = randomHex(8);
      assert.match(id, /^[0-9a-f]{16}$/);
      seen.add(id);
    }
    assert.equal(seen.size, 2000);
    assert.match(randomHex(16), /^[0-9a-f]{32}$/);
  });
});
