import type { CallRecord } from '../../../core/call-record.js';
import { ColumnRun } from './column-run.js';
import { bool, content, num, numOrNull, numOrNullStrict, str, strArrayAndJoined, strOrEmpty } from './json-values.js';
import { utf8 } from '../../../core/json-bytes.js';
import type { RowBytes } from './row-bytes.js';
import { writeUsageColumns } from './usage-columns.js';
import { writeDateTime64ms } from './time-bytes.js';
import { formatDateTime64ms } from './time-format.js';

/** One `ai_calls` row, as JSONEachRow. Keys are the table's column names. */
export interface AiCallRow {
  call_id: string;
  ts: string;
  trace_id: string;
  span_id: string;
  feature: string;
  route: string;
  operation: string;
  path: string;
  streamed: boolean;
  requested_model: string;
  final_provider: string;
  final_model: string;
  outcome: string;
  error_type: string;
  http_status: number;
  attempt_count: number;
  retry_count: number;
  fallback_path: string[];
  fallback_path_str: string;
  latency_ms: number;
  ttfc_ms: number | null;
  overhead_ms: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  cost_usd: number | null;
  price_table_version: string;
  config_hash: string;
  service: string;
  namespace: string;
  pod: string;
  workload: string;
}

/** Unreported token counts become 0 (the row's columns are not Nullable); unknown cost stays NULL. */
export function toAiCallRow(r: CallRecord): AiCallRow {
  return {
    call_id: r.callId,
    ts: formatDateTime64ms(r.startedAtMs),
    trace_id: r.traceId,
    span_id: r.spanId,
    feature: r.feature,
    route: r.route,
    operation: r.operation,
    path: r.path,
    streamed: r.streamed,
    requested_model: r.requestedModel,
    final_provider: r.finalProvider,
    final_model: r.finalModel,
    outcome: r.outcome,
    error_type: r.errorType ?? '',
    http_status: r.httpStatus,
    attempt_count: r.attemptCount,
    retry_count: r.retryCount,
    fallback_path: r.fallbackPath,
    fallback_path_str: r.fallbackPath.join('>'),
    latency_ms: r.latencyMs,
    ttfc_ms: r.timeToFirstChunkMs ?? null,
    overhead_ms: r.overheadMs,
    input_tokens: r.usage.inputTokens ?? 0,
    output_tokens: r.usage.outputTokens ?? 0,
    cache_read_tokens: r.usage.cacheReadTokens ?? 0,
    cache_write_tokens: r.usage.cacheWriteTokens ?? 0,
    reasoning_tokens: r.usage.reasoningTokens ?? 0,
    cost_usd: r.costUsd,
    price_table_version: r.priceTableVersion,
    config_hash: r.configHash,
    service: r.resource.service,
    namespace: r.resource.namespace,
    pod: r.resource.pod,
    workload: r.resource.workload,
  };
}

// The row's constant fragments, in column order.
const F = {
  // The ids go between fragments that hold their quotes (as JSON string content): the quote that
  // closes span_id opens the feature run.
  callId: utf8('{"call_id":"'),
  ts: utf8('","ts":"'),
  traceId: utf8('","trace_id":"'),
  spanId: utf8('","span_id":"'),
  feature: utf8('","feature":'),
  route: utf8(',"route":'),
  operation: utf8(',"operation":'),
  path: utf8(',"path":'),
  streamed: utf8(',"streamed":'),
  requestedModel: utf8(',"requested_model":'),
  finalProvider: utf8(',"final_provider":'),
  finalModel: utf8(',"final_model":'),
  outcome: utf8(',"outcome":'),
  errorType: utf8(',"error_type":'),
  httpStatus: utf8(',"http_status":'),
  attemptCount: utf8(',"attempt_count":'),
  retryCount: utf8(',"retry_count":'),
  fallbackPath: utf8(',"fallback_path":'),
  fallbackPathStr: utf8(',"fallback_path_str":'),
  latencyMs: utf8(',"latency_ms":'),
  ttfcMs: utf8(',"ttfc_ms":'),
  overheadMs: utf8(',"overhead_ms":'),
  costUsd: utf8(',"cost_usd":'),
  priceTableVersion: utf8(',"price_table_version":'),
  configHash: utf8(',"config_hash":'),
  service: utf8(',"service":'),
  namespace: utf8(',"namespace":'),
  pod: utf8(',"pod":'),
  workload: utf8(',"workload":'),
};

// Runs of columns that repeat from call to call (see ColumnRun).
const ROUTE_RUN = new ColumnRun();
const MODEL_RUN = new ColumnRun();
const CONFIG_RUN = new ColumnRun();

/**
 * `JSON.stringify(toAiCallRow(r))` without its closing `}`: the start of the call's `ai_calls_in`
 * row (rows/ai-call-in-row.ts), whose view makes the `ai_calls` row. Sets `w.bad` (and leaves what it
 * wrote) for a field of an unexpected type: the caller takes the object path. Throws for a record
 * that cannot be serialized at all.
 */
export function writeAiCallColumns(w: RowBytes, r: CallRecord): void {
  w.bad = false;
  w.bytes(F.callId);
  content(w, r.callId);
  w.bytes(F.ts);
  writeDateTime64ms(w, r.startedAtMs);
  w.bytes(F.traceId);
  content(w, r.traceId);
  w.bytes(F.spanId);
  content(w, r.spanId);
  const { feature, route, operation, path, streamed } = r;
  if (!ROUTE_RUN.copy(w, feature, route, operation, path, streamed)) {
    w.bytes(F.feature);
    str(w, feature);
    w.bytes(F.route);
    str(w, route);
    w.bytes(F.operation);
    str(w, operation);
    w.bytes(F.path);
    str(w, path);
    w.bytes(F.streamed);
    bool(w, streamed);
    ROUTE_RUN.wrote(w, feature, route, operation, path, streamed);
  }
  const { requestedModel, finalProvider, finalModel, outcome, errorType } = r;
  if (!MODEL_RUN.copy(w, requestedModel, finalProvider, finalModel, outcome, errorType)) {
    w.bytes(F.requestedModel);
    str(w, requestedModel);
    w.bytes(F.finalProvider);
    str(w, finalProvider);
    w.bytes(F.finalModel);
    str(w, finalModel);
    w.bytes(F.outcome);
    str(w, outcome);
    w.bytes(F.errorType);
    strOrEmpty(w, errorType);
    MODEL_RUN.wrote(w, requestedModel, finalProvider, finalModel, outcome, errorType);
  }
  w.bytes(F.httpStatus);
  num(w, r.httpStatus);
  w.bytes(F.attemptCount);
  num(w, r.attemptCount);
  w.bytes(F.retryCount);
  num(w, r.retryCount);
  w.bytes(F.fallbackPath);
  strArrayAndJoined(w, r.fallbackPath, F.fallbackPathStr, 62);
  w.bytes(F.latencyMs);
  num(w, r.latencyMs);
  w.bytes(F.ttfcMs);
  numOrNull(w, r.timeToFirstChunkMs);
  w.bytes(F.overheadMs);
  num(w, r.overheadMs);
  const u = r.usage;
  if (typeof u === 'object' && u !== null) writeUsageColumns(w, u);
  else w.bad = true;
  w.bytes(F.costUsd);
  numOrNullStrict(w, r.costUsd);
  const { priceTableVersion, configHash } = r;
  const res = r.resource;
  if (typeof res === 'object' && res !== null) {
    const { service, namespace, pod, workload } = res;
    if (!CONFIG_RUN.copy(w, priceTableVersion, configHash, service, namespace, pod, workload)) {
      w.bytes(F.priceTableVersion);
      str(w, priceTableVersion);
      w.bytes(F.configHash);
      str(w, configHash);
      w.bytes(F.service);
      str(w, service);
      w.bytes(F.namespace);
      str(w, namespace);
      w.bytes(F.pod);
      str(w, pod);
      w.bytes(F.workload);
      str(w, workload);
      CONFIG_RUN.wrote(w, priceTableVersion, configHash, service, namespace, pod, workload);
    }
  } else w.bad = true;
}
