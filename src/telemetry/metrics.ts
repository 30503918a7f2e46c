import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import type { AttemptRecord, CallRecord, SinkHealth } from '../core/call-record.js';
import * as S from './semconv.js';

/**
 * The metric instruments, created once per meter, and the one function that records a finished
 * call into them. Names and units are in semconv.ts and docs/telemetry.md.
 */
export interface CallMetrics {
  record(record: CallRecord): void;
}

export function createCallMetrics(params: {
  meter: Meter;
  sinkHealth: () => readonly SinkHealth[];
}): CallMetrics {
  const { meter } = params;
  const tokenUsage = meter.createHistogram(S.METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
    description: 'Number of input and output tokens used, per upstream attempt.',
    unit: '{token}',
    advice: { explicitBucketBoundaries: [...S.TOKEN_USAGE_BUCKETS] },
  });
  const duration = meter.createHistogram(S.METRIC_GEN_AI_CLIENT_OPERATION_DURATION, {
    description: 'GenAI operation duration, per upstream attempt.',
    unit: 's',
    advice: { explicitBucketBoundaries: [...S.DURATION_BUCKETS] },
  });
  const ttfc = meter.createHistogram(S.METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK, {
    description: 'Time to receive the first chunk of a streamed response, per upstream attempt.',
    unit: 's',
    advice: { explicitBucketBoundaries: [...S.DURATION_BUCKETS] },
  });
  const cost = meter.createCounter(S.METRIC_SWITCHYARD_COST, {
    description: 'Cost of upstream attempts in USD (attempts with an unknown price are not counted).',
    unit: 'USD',
  });
  const calls = meter.createCounter(S.METRIC_SWITCHYARD_CALLS, {
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
    },
    [spooled, dropped],
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
          tokenUsage,
          duration,
          ttfc,
          cost,
        });
      }
      calls.add(1, {
        [S.ATTR_SWITCHYARD_FEATURE]: feature,
        [S.ATTR_SWITCHYARD_PROVIDER]: record.finalProvider,
        [S.ATTR_SWITCHYARD_MODEL]: record.finalModel,
        [S.ATTR_SWITCHYARD_OUTCOME]: record.outcome,
      });
    },
  };
}

function recordAttempt(p: {
  a: AttemptRecord;
  feature: string;
  operation: string;
  streamed: boolean;
  tokenUsage: Histogram;
  duration: Histogram;
  ttfc: Histogram;
  cost: Counter;
}): void {
  const { a } = p;
  const attrs: Attributes = {
    [S.ATTR_GEN_AI_OPERATION_NAME]: p.operation,
    [S.ATTR_GEN_AI_PROVIDER_NAME]: a.providerName,
    [S.ATTR_GEN_AI_REQUEST_MODEL]: a.model,
    [S.ATTR_SERVER_ADDRESS]: a.serverAddress,
    [S.ATTR_SWITCHYARD_FEATURE]: p.feature,
  };
  if (a.responseModel !== undefined) attrs[S.ATTR_GEN_AI_RESPONSE_MODEL] = a.responseModel;
  if (a.serverPort !== undefined) attrs[S.ATTR_SERVER_PORT] = a.serverPort;
  if (a.errorType !== undefined) attrs[S.ATTR_ERROR_TYPE] = a.errorType;
  p.duration.record(a.durationMs / 1000, attrs);
  if (p.streamed && a.timeToFirstChunkMs !== undefined) {
    p.ttfc.record(a.timeToFirstChunkMs / 1000, attrs);
  }
  const u = a.usage;
  if (u?.inputTokens !== undefined) {
    p.tokenUsage.record(u.inputTokens, { ...attrs, [S.ATTR_GEN_AI_TOKEN_TYPE]: S.GEN_AI_TOKEN_TYPE_INPUT });
  }
  if (u?.outputTokens !== undefined) {
    p.tokenUsage.record(u.outputTokens, {
      ...attrs,
      [S.ATTR_GEN_AI_TOKEN_TYPE]: S.GEN_AI_TOKEN_TYPE_OUTPUT,
    });
  }
  if (a.costUsd !== null && a.costUsd > 0) {
    p.cost.add(a.costUsd, {
      [S.ATTR_SWITCHYARD_FEATURE]: p.feature,
      [S.ATTR_SWITCHYARD_PROVIDER]: a.provider,
      [S.ATTR_SWITCHYARD_MODEL]: a.model,
    });
  }
}
