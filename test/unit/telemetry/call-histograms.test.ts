import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Histogram as OtelHistogram } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  type DataPoint,
  type Histogram,
  type MetricData,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import type { AttemptRecord } from '../../../src/core/call-record.js';
import { createCallHistograms } from '../../../src/telemetry/call-histograms.js';
import * as S from '../../../src/telemetry/semconv.js';
import { attemptRecord } from './records.js';

/**
 * The in-process histograms against the SDK's own explicit-bucket histograms: the same values
 * give the same buckets, sum, count, min and max, per series, cumulative and delta.
 */

class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

function deltaReader(): TestReader {
  return new TestReader({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
}

interface Point {
  attributes: Record<string, unknown>;
  counts: number[];
  sum: number | undefined;
  count: number;
  min: number | undefined;
  max: number | undefined;
}

/** One collection (a delta reader's interval ends with it): the points of each histogram by name. */
async function collect(reader: TestReader): Promise<(name: string) => Point[]> {
  const { resourceMetrics } = await reader.collect();
  return (name) =>
    points(
      resourceMetrics.scopeMetrics.flatMap((s) => s.metrics),
      name,
    );
}

function points(metrics: MetricData[], name: string): Point[] {
  const found = metrics.filter((m) => m.descriptor.name === name);
  assert.ok(found.length <= 1, `one ${name} at most`);
  const m = found[0];
  if (m === undefined) return [];
  assert.equal(m.dataPointType, DataPointType.HISTOGRAM);
  return (m.dataPoints as DataPoint<Histogram>[])
    .map((p) => ({
      attributes: p.attributes,
      counts: p.value.buckets.counts,
      // Sums are float totals; the SDK adds interval sums, so the last digits may differ.
      sum: p.value.sum === undefined ? undefined : Number(p.value.sum.toPrecision(12)),
      count: p.value.count,
      min: p.value.min,
      max: p.value.max,
    }))
    .sort((a, b) => JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes)));
}

const base = {
  [S.ATTR_GEN_AI_OPERATION_NAME]: 'chat',
  [S.ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
  [S.ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4o-mini',
  [S.ATTR_SERVER_ADDRESS]: 'api.openai.com',
  [S.ATTR_SWITCHYARD_FEATURE]: 'support-chat',
};
const failed = { ...base, [S.ATTR_ERROR_TYPE]: 'upstream_timeout' };

/** An attempt whose GenAI attribute set is `base` (or `failed`). */
function attempt(p: { failed: boolean; durationMs: number; tokens: number; timeToFirstChunkMs?: number }): AttemptRecord {
  return attemptRecord({
    startedAtMs: 0,
    durationMs: p.durationMs,
    responseModel: undefined,
    serverPort: undefined,
    usage: { inputTokens: p.tokens, outputTokens: p.tokens * 2 },
    ...(p.failed ? { outcome: 'error', errorType: 'upstream_timeout' } : {}),
    ...(p.timeToFirstChunkMs !== undefined ? { timeToFirstChunkMs: p.timeToFirstChunkMs } : {}),
  });
}
const CALL = { operation: 'chat', feature: 'support-chat', streamed: false };

/** Edge values: on a boundary, between boundaries, below the first, above the last. */
const durations = [0.005, 0.01, 0.0100001, 0.02, 0.3, 81.92, 100, 0.25];
const tokens = [0, 1, 2, 4, 5, 1024, 70_000_000, 120];

function feed(p: {
  ours: ReturnType<typeof createCallHistograms>;
  sdk: { duration: OtelHistogram; tokens: OtelHistogram };
  from: number;
  to: number;
}): void {
  for (let i = p.from; i < p.to; i++) {
    const attrs = i % 3 === 2 ? failed : base;
    const t = tokens[i % tokens.length] as number;
    const a = attempt({ failed: i % 3 === 2, durationMs: (durations[i % durations.length] as number) * 1000, tokens: t });
    p.ours.record(a, CALL);
    p.sdk.duration.record(a.durationMs / 1000, attrs);
    p.sdk.tokens.record(t, { ...attrs, [S.ATTR_GEN_AI_TOKEN_TYPE]: 'input' });
    p.sdk.tokens.record(t * 2, { ...attrs, [S.ATTR_GEN_AI_TOKEN_TYPE]: 'output' });
  }
}

function setup(temporality: AggregationTemporality) {
  const ours = createCallHistograms();
  const sdkReader = temporality === AggregationTemporality.DELTA ? deltaReader() : new TestReader();
  const oursReader = new TestReader({
    ...(temporality === AggregationTemporality.DELTA ? { aggregationTemporalitySelector: () => AggregationTemporality.DELTA } : {}),
    metricProducers: [ours.producer(temporality)],
  });
  const provider = new MeterProvider({ readers: [oursReader] });
  const sdkProvider = new MeterProvider({ readers: [sdkReader] });
  const meter = sdkProvider.getMeter(S.INSTRUMENTATION_SCOPE);
  const sdk = {
    duration: meter.createHistogram(S.METRIC_GEN_AI_CLIENT_OPERATION_DURATION, {
      unit: 's',
      advice: { explicitBucketBoundaries: [...S.DURATION_BUCKETS] },
    }),
    tokens: meter.createHistogram(S.METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
      unit: '{token}',
      advice: { explicitBucketBoundaries: [...S.TOKEN_USAGE_BUCKETS] },
    }),
  };
  return { ours, sdk, oursReader, sdkReader, providers: [provider, sdkProvider] };
}

for (const temporality of [AggregationTemporality.CUMULATIVE, AggregationTemporality.DELTA]) {
  const label = temporality === AggregationTemporality.DELTA ? 'delta' : 'cumulative';
  test(`call histograms: same points as SDK histograms (${label}, two collections)`, async () => {
    const s = setup(temporality);
    const names = [S.METRIC_GEN_AI_CLIENT_OPERATION_DURATION, S.METRIC_GEN_AI_CLIENT_TOKEN_USAGE];
    feed({ ours: s.ours, sdk: s.sdk, from: 0, to: 40 });
    let [ours, sdk] = [await collect(s.oursReader), await collect(s.sdkReader)];
    for (const name of names) {
      assert.ok(sdk(name).length >= 2, name);
      assert.deepEqual(ours(name), sdk(name), name);
    }
    // Second interval: fewer values, and only the base series.
    feed({ ours: s.ours, sdk: s.sdk, from: 3, to: 5 });
    [ours, sdk] = [await collect(s.oursReader), await collect(s.sdkReader)];
    for (const name of names) assert.deepEqual(ours(name), sdk(name), `${name} (2nd)`);
    // Nothing new: delta readers report nothing, cumulative ones the same totals.
    [ours, sdk] = [await collect(s.oursReader), await collect(s.sdkReader)];
    for (const name of names) assert.deepEqual(ours(name), sdk(name), `${name} (3rd)`);
    assert.deepEqual(ours(S.METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK), []);
    for (const p of s.providers) await p.shutdown();
  });
}

test('call histograms: descriptors carry the documented names and units', async () => {
  const ours = createCallHistograms();
  ours.record(attemptRecord({ startedAtMs: 0, durationMs: 500, timeToFirstChunkMs: 100, usage: { inputTokens: 3, outputTokens: 4 } }), {
    ...CALL,
    streamed: true,
  });
  const { resourceMetrics } = await ours.producer().collect();
  assert.equal(resourceMetrics.scopeMetrics.length, 1);
  const scope = resourceMetrics.scopeMetrics[0];
  assert.equal(scope?.scope.name, S.INSTRUMENTATION_SCOPE);
  assert.deepEqual(
    scope?.metrics.map((m) => [m.descriptor.name, m.descriptor.unit, m.dataPoints.length]),
    [
      [S.METRIC_GEN_AI_CLIENT_TOKEN_USAGE, '{token}', 2],
      [S.METRIC_GEN_AI_CLIENT_OPERATION_DURATION, 's', 1],
      [S.METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK, 's', 1],
    ],
  );
});
