import { getNumberFromEnv, getStringFromEnv, parseKeyPairsIntoRecord } from '@opentelemetry/core';
import { LeanBatchSpanProcessor } from './lean-span-processor.js';
import { createOtlpPoster } from './post-otlp.js';

/**
 * The lean span path with its settings read the way the official exporter and BatchSpanProcessor
 * read them: endpoint, headers, timeout and compression from OTEL_EXPORTER_OTLP_(TRACES_)* (the
 * signal-specific variable wins), batching from OTEL_BSP_*, with the same defaults.
 */
export function createLeanTraceProcessor(p: {
  /** The config endpoint (already with /v1/traces), or undefined to read the OTEL_* variables. */
  configUrl: string | undefined;
  configHeaders: Record<string, string> | undefined;
  onWarn?: (message: string, fields: Record<string, unknown>) => void;
}): LeanBatchSpanProcessor {
  const url = p.configUrl ?? envTracesUrl();
  if (url === undefined) throw new Error('lean OTLP exporter: no traces endpoint');
  const headers =
    p.configUrl !== undefined
      ? { ...(p.configHeaders ?? {}) }
      : {
          ...parseKeyPairsIntoRecord(getStringFromEnv('OTEL_EXPORTER_OTLP_HEADERS')),
          ...parseKeyPairsIntoRecord(getStringFromEnv('OTEL_EXPORTER_OTLP_TRACES_HEADERS')),
        };
  const compression =
    (getStringFromEnv('OTEL_EXPORTER_OTLP_TRACES_COMPRESSION') ?? getStringFromEnv('OTEL_EXPORTER_OTLP_COMPRESSION')) === 'gzip'
      ? 'gzip'
      : 'none';
  const poster = createOtlpPoster({
    url,
    headers,
    timeoutMs: getNumberFromEnv('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT') ?? getNumberFromEnv('OTEL_EXPORTER_OTLP_TIMEOUT') ?? 10_000,
    compression,
  });
  return new LeanBatchSpanProcessor({
    poster,
    maxExportBatchSize: getNumberFromEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE') ?? 512,
    maxQueueSize: getNumberFromEnv('OTEL_BSP_MAX_QUEUE_SIZE') ?? 2048,
    scheduledDelayMillis: getNumberFromEnv('OTEL_BSP_SCHEDULE_DELAY') ?? 5000,
    exportTimeoutMillis: getNumberFromEnv('OTEL_BSP_EXPORT_TIMEOUT') ?? 30_000,
    ...(p.onWarn ? { onWarn: p.onWarn } : {}),
  });
}

function envTracesUrl(): string | undefined {
  const signal = getStringFromEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (signal !== undefined) return signal;
  const base = getStringFromEnv('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (base === undefined) return undefined;
  return base.endsWith('/') ? `${base}v1/traces` : `${base}/v1/traces`;
}
