import type { Attributes, HrTime } from '@opentelemetry/api';
import { ValueType } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  type CollectionResult,
  DataPointType,
  type DataPoint,
  type Histogram,
  type HistogramMetricData,
  InstrumentType,
  type MetricDescriptor,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import type { AttemptRecord } from '../core/call-record.js';
import { type Level, level } from './nested-maps.js';
import * as S from './semconv.js';

/**
 * The three GenAI histograms (token usage, operation duration, time to first chunk), aggregated in
 * process and handed to the metric readers as a MetricProducer.
 *
 * Why not SDK histograms: every `Histogram.record` hashes its attribute object (sorted keys, then
 * JSON) to find the series; four records per attempt cost more than everything else the recorder
 * does. Here one attempt costs one walk down nested Maps (nested-maps.ts) to the series of its
 * attribute set in every instrument, and the buckets, sum, count, min and max are the same numbers
 * the SDK's explicit-bucket aggregation computes (value in the first bucket whose upper bound is
 * >= value).
 */
export interface HistogramCall {
  readonly operation: string;
  readonly feature: string;
  readonly streamed: boolean;
}

export interface CallHistograms {
  /**
   * One finished attempt of `call`: its duration, its time to first chunk (streamed calls), its
   * input and output tokens (when known), under the GenAI attribute set (docs/telemetry.md).
   */
  record(a: AttemptRecord, call: HistogramCall): void;
  /**
   * A producer for one metric reader. DELTA for a reader that asks for delta temporality (at most
   * one such reader: the OTLP one); CUMULATIVE (the default) for any number of others.
   */
  producer(temporality?: AggregationTemporality): MetricProducer;
}

interface Cell {
  counts: number[];
  sum: number;
  count: number;
  min: number;
  max: number;
}

interface Series {
  attributes: Attributes;
  startTime: HrTime;
  cell: Cell;
  /** Min and max since the delta producer last collected (there is at most one: the OTLP reader). */
  intervalMin: number;
  intervalMax: number;
}

/** One histogram instrument: its series, in creation order. */
class Instrument {
  readonly series: Series[] = [];
  constructor(
    readonly descriptor: MetricDescriptor & { type: InstrumentType },
    readonly boundaries: readonly number[],
  ) {}

  newSeries(attributes: Attributes): Series {
    const s: Series = {
      attributes,
      startTime: millisToHrTime(Date.now()),
      cell: emptyCell(this.boundaries),
      intervalMin: Infinity,
      intervalMax: -Infinity,
    };
    this.series.push(s);
    return s;
  }

  record(s: Series, value: number): void {
    if (Number.isNaN(value)) return;
    addTo(s.cell, this.boundaries, value);
    if (value < s.intervalMin) s.intervalMin = value;
    if (value > s.intervalMax) s.intervalMax = value;
  }
}

/** The series of one GenAI attribute set in each instrument, each created on its first value. */
interface SeriesGroup {
  attributes: Attributes;
  duration: Series | undefined;
  ttfc: Series | undefined;
  input: Series | undefined;
  output: Series | undefined;
}

function emptyCell(boundaries: readonly number[]): Cell {
  return { counts: new Array<number>(boundaries.length + 1).fill(0), sum: 0, count: 0, min: Infinity, max: -Infinity };
}

function addTo(c: Cell, boundaries: readonly number[], value: number): void {
  c.count++;
  c.sum += value;
  if (value < c.min) c.min = value;
  if (value > c.max) c.max = value;
  let i = 0;
  while (i < boundaries.length && (boundaries[i] as number) < value) i++;
  (c.counts[i] as number)++;
}

function pointValue(c: Cell, boundaries: readonly number[]): Histogram {
  return {
    buckets: { boundaries: [...boundaries], counts: [...c.counts] },
    sum: c.sum,
    count: c.count,
    ...(c.count > 0 ? { min: c.min, max: c.max } : {}),
  };
}

function descriptor(name: string, description: string, unit: string): MetricDescriptor & { type: InstrumentType } {
  return { name, description, unit, valueType: ValueType.DOUBLE, type: InstrumentType.HISTOGRAM };
}

const SCOPE = { name: S.INSTRUMENTATION_SCOPE };

export function createCallHistograms(): CallHistograms {
  const tokenUsage = new Instrument(
    descriptor(S.METRIC_GEN_AI_CLIENT_TOKEN_USAGE, 'Number of input and output tokens used, per upstream attempt.', '{token}'),
    S.TOKEN_USAGE_BUCKETS,
  );
  const duration = new Instrument(
    descriptor(S.METRIC_GEN_AI_CLIENT_OPERATION_DURATION, 'GenAI operation duration, per upstream attempt.', 's'),
    S.DURATION_BUCKETS,
  );
  const ttfc = new Instrument(
    descriptor(
      S.METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
      'Time to receive the first chunk of a streamed response, per upstream attempt.',
      's',
    ),
    S.DURATION_BUCKETS,
  );
  const instruments = [tokenUsage, duration, ttfc];
  // feature → operation → provider name → model → server address → response model → port → error type.
  const groups: Level = new Map();

  return {
    record(a, call) {
      const leaf = level(
        level(
          level(level(level(level(level(groups, call.feature), call.operation), a.providerName), a.model), a.serverAddress),
          a.responseModel,
        ),
        a.serverPort,
      );
      let g = leaf.get(a.errorType) as SeriesGroup | undefined;
      if (g === undefined) {
        g = { attributes: genAiAttributes(a, call), duration: undefined, ttfc: undefined, input: undefined, output: undefined };
        leaf.set(a.errorType, g);
      }
      g.duration ??= duration.newSeries(g.attributes);
      duration.record(g.duration, a.durationMs / 1000);
      const firstChunk = a.timeToFirstChunkMs;
      if (call.streamed && firstChunk !== undefined) {
        g.ttfc ??= ttfc.newSeries(g.attributes);
        ttfc.record(g.ttfc, firstChunk / 1000);
      }
      const u = a.usage;
      if (u === undefined) return;
      if (u.inputTokens !== undefined) {
        g.input ??= tokenUsage.newSeries(withTokenType(g.attributes, S.GEN_AI_TOKEN_TYPE_INPUT));
        tokenUsage.record(g.input, u.inputTokens);
      }
      if (u.outputTokens !== undefined) {
        g.output ??= tokenUsage.newSeries(withTokenType(g.attributes, S.GEN_AI_TOKEN_TYPE_OUTPUT));
        tokenUsage.record(g.output, u.outputTokens);
      }
    },
    producer(temporality = AggregationTemporality.CUMULATIVE) {
      return temporality === AggregationTemporality.DELTA ? deltaProducer(instruments) : cumulativeProducer(instruments);
    },
  };
}

/** For OTEL_SDK_DISABLED: records nothing, produces nothing. */
export const NOOP_CALL_HISTOGRAMS: CallHistograms = {
  record() {},
  producer: () => ({ collect: async () => result([]) }),
};

/** The GenAI attribute set of the histograms (docs/telemetry.md), `error.type` on failure. */
function genAiAttributes(a: AttemptRecord, call: HistogramCall): Attributes {
  const attrs: Attributes = {
    [S.ATTR_GEN_AI_OPERATION_NAME]: call.operation,
    [S.ATTR_GEN_AI_PROVIDER_NAME]: a.providerName,
    [S.ATTR_GEN_AI_REQUEST_MODEL]: a.model,
    [S.ATTR_SERVER_ADDRESS]: a.serverAddress,
    [S.ATTR_SWITCHYARD_FEATURE]: call.feature,
  };
  if (a.responseModel !== undefined) attrs[S.ATTR_GEN_AI_RESPONSE_MODEL] = a.responseModel;
  if (a.serverPort !== undefined) attrs[S.ATTR_SERVER_PORT] = a.serverPort;
  if (a.errorType !== undefined) attrs[S.ATTR_ERROR_TYPE] = a.errorType;
  return attrs;
}

function withTokenType(attributes: Attributes, type: string): Attributes {
  return { ...attributes, [S.ATTR_GEN_AI_TOKEN_TYPE]: type };
}

function result(metrics: HistogramMetricData[]): CollectionResult {
  // The reader keeps the SDK's resource; this one is ignored.
  return { resourceMetrics: { resource: emptyResource(), scopeMetrics: [{ scope: SCOPE, metrics }] }, errors: [] };
}

/** Cumulative since each series first appeared (what Prometheus and the OTLP default read). */
function cumulativeProducer(instruments: readonly Instrument[]): MetricProducer {
  return {
    async collect() {
      const now = millisToHrTime(Date.now());
      const metrics: HistogramMetricData[] = [];
      for (const inst of instruments) {
        if (inst.series.length === 0) continue;
        const dataPoints: DataPoint<Histogram>[] = [];
        for (const s of inst.series) {
          dataPoints.push({ attributes: s.attributes, startTime: s.startTime, endTime: now, value: pointValue(s.cell, inst.boundaries) });
        }
        metrics.push({
          descriptor: inst.descriptor,
          aggregationTemporality: AggregationTemporality.CUMULATIVE,
          dataPointType: DataPointType.HISTOGRAM,
          dataPoints,
        });
      }
      return result(metrics);
    },
  };
}

/**
 * Delta temporality (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta|lowmemory): what was
 * recorded since this producer's previous collection; series with nothing new are left out, as the
 * SDK does. Min and max are those of the interval.
 */
function deltaProducer(instruments: readonly Instrument[]): MetricProducer {
  const previous = instruments.map(() => new Map<Series, { cell: Cell; at: HrTime }>());
  let lastCollection: HrTime | undefined;
  return {
    async collect() {
      const now = millisToHrTime(Date.now());
      const metrics: HistogramMetricData[] = [];
      instruments.forEach((inst, n) => {
        const prev = previous[n] as Map<Series, { cell: Cell; at: HrTime }>;
        const dataPoints: DataPoint<Histogram>[] = [];
        for (const s of inst.series) {
          const before = prev.get(s);
          const count = s.cell.count - (before?.cell.count ?? 0);
          if (count === 0) continue;
          const counts = s.cell.counts.map((c, i) => c - (before?.cell.counts[i] ?? 0));
          const value: Histogram = {
            buckets: { boundaries: [...inst.boundaries], counts },
            sum: s.cell.sum - (before?.cell.sum ?? 0),
            count,
            min: s.intervalMin,
            max: s.intervalMax,
          };
          s.intervalMin = Infinity;
          s.intervalMax = -Infinity;
          dataPoints.push({ attributes: s.attributes, startTime: before?.at ?? lastCollection ?? s.startTime, endTime: now, value });
          prev.set(s, { cell: { ...s.cell, counts: [...s.cell.counts] }, at: now });
        }
        if (dataPoints.length === 0) return;
        metrics.push({
          descriptor: inst.descriptor,
          aggregationTemporality: AggregationTemporality.DELTA,
          dataPointType: DataPointType.HISTOGRAM,
          dataPoints,
        });
      });
      lastCollection = now;
      return result(metrics);
    },
  };
}
