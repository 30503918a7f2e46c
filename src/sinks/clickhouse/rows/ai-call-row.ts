import type { CallRecord } from '../../../core/call-record.js';
import { ColumnRun } from './column-run.js';
import { bool, content, num, numOrNull, numOrNullStrict, str, strArrayAndJoined, strOrEmpty } from './json-values.js';
import { frag, type RowBytes } from './row-bytes.js';
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
  callId: frag('{"call_id":"'),
  ts: frag('","ts":"'),
  traceId: frag('","trace_id":"'),
  spanId: frag('","span_id":"'),
  feature: frag('","feature":'),
  route: frag(',"route":'),
  operation: frag(',"operation":'),
  path: frag(',"path":'),
  streamed: frag(',"streamed":'),
  requestedModel: frag(',"requested_model":'),
  finalProvider: frag(',"final_provider":'),
  finalModel: frag(',"final_model":'),
  outcome: frag(',"outcome":'),
  errorType: frag(',"error_type":'),
  httpStatus: frag(',"http_status":'),
  attemptCount: frag(',"attempt_count":'),
  retryCount: frag(',"retry_count":'),
  fallbackPath: frag(',"fallback_path":'),
  fallbackPathStr: frag(',"fallback_path_str":'),
  latencyMs: frag(',"latency_ms":'),
  ttfcMs: frag(',"ttfc_ms":'),
  overheadMs: frag(',"overhead_ms":'),
  costUsd: frag(',"cost_usd":'),
  priceTableVersion: frag(',"price_table_version":'),
  configHash: frag(',"config_hash":'),
  service: frag(',"service":'),
  namespace: frag(',"namespace":'),
  pod: frag(',"pod":'),
  workload: frag(',"workload":'),
};

// Runs of columns that repeat from call to call (see ColumnRun).
const ROUTE_RUN = new ColumnRun();
const MODEL_RUN = new ColumnRun();
const CONFIG_RUN = new ColumnRun();

/**
 * Writes `JSON.stringify(toAiCallRow(r))` into `w`, byte for byte, without the intermediate object
 * or string. A record with a field of an unexpected type is written on the object path. Throws
 * (having written part of a row) for a record that cannot be serialized at all: the caller rolls
 * the record back.
 */
export function writeAiCallRow(w: RowBytes, r: CallRecord): void {
  const start = w.pos;
  w.bad = false;
  w.raw(F.callId);
  content(w, r.callId);
  w.raw(F.ts);
  writeDateTime64ms(w, r.startedAtMs);
  w.raw(F.traceId);
  content(w, r.traceId);
  w.raw(F.spanId);
  content(w, r.spanId);
  const { feature, route, operation, path, streamed } = r;
  if (!ROUTE_RUN.copy(w, feature, route, operation, path, streamed)) {
    w.raw(F.feature);
    str(w, feature);
    w.raw(F.route);
    str(w, route);
    w.raw(F.operation);
    str(w, operation);
    w.raw(F.path);
    str(w, path);
    w.raw(F.streamed);
    bool(w, streamed);
    ROUTE_RUN.wrote(w, feature, route, operation, path, streamed);
  }
  const { requestedModel, finalProvider, finalModel, outcome, errorType } = r;
  if (!MODEL_RUN.copy(w, requestedModel, finalProvider, finalModel, outcome, errorType)) {
    w.raw(F.requestedModel);
    str(w, requestedModel);
    w.raw(F.finalProvider);
    str(w, finalProvider);
    w.raw(F.finalModel);
    str(w, finalModel);
    w.raw(F.outcome);
    str(w, outcome);
    w.raw(F.errorType);
    strOrEmpty(w, errorType);
    MODEL_RUN.wrote(w, requestedModel, finalProvider, finalModel, outcome, errorType);
  }
  w.raw(F.httpStatus);
  num(w, r.httpStatus);
  w.raw(F.attemptCount);
  num(w, r.attemptCount);
  w.raw(F.retryCount);
  num(w, r.retryCount);
  w.raw(F.fallbackPath);
  strArrayAndJoined(w, r.fallbackPath, F.fallbackPathStr, 62);
  w.raw(F.latencyMs);
  num(w, r.latencyMs);
  w.raw(F.ttfcMs);
  numOrNull(w, r.timeToFirstChunkMs);
  w.raw(F.overheadMs);
  num(w, r.overheadMs);
  const u = r.usage;
  if (typeof u === 'object' && u !== null) writeUsageColumns(w, u);
  else w.bad = true;
  w.raw(F.costUsd);
  numOrNullStrict(w, r.costUsd);
  const { priceTableVersion, configHash } = r;
  const res = r.resource;
  if (typeof res === 'object' && res !== null) {
    const { service, namespace, pod, workload } = res;
    if (!CONFIG_RUN.copy(w, priceTableVersion, configHash, service, namespace, pod, workload)) {
      w.raw(F.priceTableVersion);
      str(w, priceTableVersion);
      w.raw(F.configHash);
      str(w, configHash);
      w.raw(F.service);
      str(w, service);
      w.raw(F.namespace);
      str(w, namespace);
      w.raw(F.pod);
      str(w, pod);
      w.raw(F.workload);
      str(w, workload);
      w.byte(125);
      CONFIG_RUN.wrote(w, priceTableVersion, configHash, service, namespace, pod, workload);
    }
  } else w.bad = true;
  if (w.bad) {
    w.pos = start;
    w.text(JSON.stringify(toAiCallRow(r)));
  }
  w.endRow();
}
