import type { Attributes, BatchObservableResult, Meter, ObservableCounter } from '@opentelemetry/api';
import type { AttemptRecord, CallRecord, SinkHealth } from '../core/call-record.js';
import type { CallHistograms } from './call-histograms.js';
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
        recordAttempt({
          a,
          feature,
          operation: record.operation,
          streamed: record.streamed,
          histograms,
          cost,
        });
      }
      calls.add({
        feature,
        provider: record.finalProvider,
        model: record.finalModel,
        outcome: record.outcome,
        value: 1,
      });
    },
  };
}

function recordAttempt(p: {
  a: AttemptRecord;
  feature: string;
  operation: string;
  streamed: boolean;
  histograms: CallHistograms;
  cost: CumulativeSums;
}): void {
  const { a, feature, operation } = p;
  const u = a.usage;
  p.histograms.record({
    key: `${operation}\u0001${a.providerName}\u0001${a.model}\u0001${a.serverAddress}\u0001${feature}\u0001${a.responseModel ?? '\u0002'}\u0001${a.serverPort ?? ''}\u0001${a.errorType ?? ''}`,
    attributes: () => genAiAttributes(a, operation, feature),
    durationS: a.durationMs / 1000,
    ...(p.streamed && a.timeToFirstChunkMs !== undefined ? { ttfcS: a.timeToFirstChunkMs / 1000 } : {}),
    ...(u?.inputTokens !== undefined ? { inputTokens: u.inputTokens } : {}),
    ...(u?.outputTokens !== undefined ? { outputTokens: u.outputTokens } : {}),
  });
  if (a.costUsd !== null && a.costUsd > 0) {
    p.cost.add({ feature, provider: a.provider, model: a.model, value: a.costUsd });
  }
}

/** The GenAI attribute set of the histograms (docs/telemetry.md), `error.type` on failure. */
function genAiAttributes(a: AttemptRecord, operation: string, feature: string): Attributes {
  const attrs: Attributes = {
    [S.ATTR_GEN_AI_OPERATION_NAME]: operation,
    [S.ATTR_GEN_AI_PROVIDER_NAME]: a.providerName,
    [S.ATTR_GEN_AI_REQUEST_MODEL]: a.model,
    [S.ATTR_SERVER_ADDRESS]: a.serverAddress,
    [S.ATTR_SWITCHYARD_FEATURE]: feature,
  };
  if (a.responseModel !== undefined) attrs[S.ATTR_GEN_AI_RESPONSE_MODEL] = a.responseModel;
  if (a.serverPort !== undefined) attrs[S.ATTR_SERVER_PORT] = a.serverPort;
  if (a.errorType !== undefined) attrs[S.ATTR_ERROR_TYPE] = a.errorType;
  return attrs;
}

/** Monotonic sums by feature, provider, model (and outcome), read by an observable counter. */
class CumulativeSums {
  private readonly series = new Map<string, { attributes: Attributes; value: number }>();

  add(p: { feature: string; provider: string; model: string; outcome?: string; value: number }): void {
    const key =
      p.outcome === undefined
        ? `${p.feature}\u0001${p.provider}\u0001${p.model}`
        : `${p.feature}\u0001${p.provider}\u0001${p.model}\u0001${p.outcome}`;
    const found = this.series.get(key);
    if (found !== undefined) {
      found.value += p.value;
      return;
    }
    const attributes: Attributes = {
      [S.ATTR_SWITCHYARD_FEATURE]: p.feature,
      [S.ATTR_SWITCHYARD_PROVIDER]: p.provider,
      [S.ATTR_SWITCHYARD_MODEL]: p.model,
    };
    if (p.outcome !== undefined) attributes[S.ATTR_SWITCHYARD_OUTCOME] = p.outcome;
    this.series.set(key, { attributes, value: p.value });
  }

  observeInto(result: BatchObservableResult, counter: ObservableCounter): void {
    for (const s of this.series.values()) result.observe(counter, s.value, s.attributes);
  }
}
