import type { Attributes, BatchObservableResult, Meter, ObservableCounter } from '@opentelemetry/api';
import type { CallRecord, SinkHealth } from '../core/call-record.js';
import type { CallHistograms } from './call-histograms.js';
import { type Level, level } from './nested-maps.js';
import * as S from './semconv.js';

/**
 * The metric instruments, created once per meter, and the one function that records a finished
 * call into them. Names and units are in semconv.ts and docs/telemetry.md. The histograms live in
 * call-histograms.ts (a MetricProducer); the counters and gauges are observed from here.
 */
export interface CallMetrics {
  record(record: CallRecord): void;
}

export function createCallMetrics(params: {
  meter: Meter;
  histograms: CallHistograms;
  sinkHealth: () => readonly SinkHealth[];
}): CallMetrics {
  const { meter, histograms } = params;
  // Counters are summed here and observed at collection time: a Map lookup on a short string key is
  // far cheaper on the hot path than the SDK's per-record attribute hashing.
  const cost = new CumulativeSums();
  const calls = new CumulativeSums();
  const costCounter = meter.createObservableCounter(S.METRIC_SWITCHYARD_COST, {
    description: 'Cost of upstream attempts in USD (attempts with an unknown price are not counted).',
    unit: 'USD',
  });
  const callsCounter = meter.createObservableCounter(S.METRIC_SWITCHYARD_CALLS, {
    description: 'Calls through the gateway, by feature, final provider, final model and outcome.',
    unit: '{call}',
  });

  const spooled = meter.createObservableGauge(S.METRIC_SWITCHYARD_LEDGER_SPOOLED_RECORDS, {
    description: 'Records waiting in the on-disk spool of a sink.',
    unit: '{record}',
  });
  const dropped = meter.createObservableCounter(S.METRIC_SWITCHYARD_LEDGER_SPOOL_DROPPED, {
    description: 'Records dropped because the spool of a sink was full.',
    unit: '{record}',
  });
  const { sinkHealth } = params;
  meter.addBatchObservableCallback(
    (result) => {
      for (const h of sinkHealth()) {
        const attrs = { [S.ATTR_SWITCHYARD_SINK]: h.name };
        result.observe(spooled, h.spooled, attrs);
        result.observe(dropped, h.spoolDroppedTotal, attrs);
      }
      cost.observeInto(result, costCounter);
      calls.observeInto(result, callsCounter);
    },
    [spooled, dropped, costCounter, callsCounter],
  );

  return {
    record(record) {
      const feature = record.feature;
      for (const a of record.attempts) {
        histograms.record(a, record);
        if (a.costUsd !== null && a.costUsd > 0) cost.add(feature, a.provider, a.model, undefined, a.costUsd);
      }
      calls.add(feature, record.finalProvider, record.finalModel, record.outcome, 1);
    },
  };
}

/** Monotonic sums by feature, provider, model (and outcome), read by an observable counter. */
class CumulativeSums {
  /** feature → provider → model → outcome (undefined for sums without one) → series. */
  private readonly index: Level = new Map();
  private readonly series: Array<{ attributes: Attributes; value: number }> = [];

  add(feature: string, provider: string, model: string, outcome: string | undefined, value: number): void {
    const leaf = level(level(level(this.index, feature), provider), model);
    const found = leaf.get(outcome) as { value: number } | undefined;
    if (found !== undefined) {
      found.value += value;
      return;
    }
    const attributes: Attributes = {
      [S.ATTR_SWITCHYARD_FEATURE]: feature,
      [S.ATTR_SWITCHYARD_PROVIDER]: provider,
      [S.ATTR_SWITCHYARD_MODEL]: model,
    };
    if (outcome !== undefined) attributes[S.ATTR_SWITCHYARD_OUTCOME] = outcome;
    const s = { attributes, value };
    leaf.set(outcome, s);
    this.series.push(s);
  }

  observeInto(result: BatchObservableResult, counter: ObservableCounter): void {
    for (const s of this.series) result.observe(counter, s.value, s.attributes);
  }
}
