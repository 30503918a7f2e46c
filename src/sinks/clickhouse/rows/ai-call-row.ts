import type { CallRecord } from '../../../core/call-record.js';
import { ColumnRun } from './column-run.js';
import { bool, content, num, numOrNull, numOrNullStrict, str, strArrayAndJoined, strOrEmpty } from './json-values.js';
import { utf8 } from '../../../core/json-bytes.js';
import type { RowBytes } from './row-bytes.js';
import { writeUsageColumns } from './usage-columns.js';
import { writeDateTime64ms } from './time-bytes.js';
import { formatDateTime64ms } from './time-format.js';

/** One `ai_calls` row as an object: keys are the table's column names, in column order. */
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

// The row's constant fragments: the ids go between fragments that hold their quotes (as JSON
// string content); the quote that closes span_id opens the feature run.
const F = {
  open: utf8('["'),
  between: utf8('","'),
  close: utf8('",'),
};

// Runs of columns that repeat from call to call (see ColumnRun).
const ROUTE_RUN = new ColumnRun();
const MODEL_RUN = new ColumnRun();
const CONFIG_RUN = new ColumnRun();

/**
 * `JSON.stringify(Object.values(toAiCallRow(r)))` without its closing `]`: the values of the call's
 * `ai_calls` columns, in column order, that start its `ai_calls_in_v2` row (rows/ai-call-in-row.ts,
 * JSONCompactEachRow). Sets `w.bad` (and leaves what it wrote) for a field of an unexpected type:
 * the caller takes the object path. Throws for a record that cannot be serialized at all.
 */
export function writeAiCallColumns(w: RowBytes, r: CallRecord): void {
  w.bad = false;
  w.bytes(F.open);
  content(w, r.callId);
  w.bytes(F.between);
  writeDateTime64ms(w, r.startedAtMs);
  w.bytes(F.between);
  content(w, r.traceId);
  w.bytes(F.between);
  content(w, r.spanId);
  w.bytes(F.close);
  const { feature, route, operation, path, streamed } = r;
  if (!ROUTE_RUN.copy(w, feature, route, operation, path, streamed)) {
    str(w, feature);
    w.byte(44);
    str(w, route);
    w.byte(44);
    str(w, operation);
    w.byte(44);
    str(w, path);
    w.byte(44);
    bool(w, streamed);
    ROUTE_RUN.wrote(w, feature, route, operation, path, streamed);
  }
  const { requestedModel, finalProvider, finalModel, outcome, errorType } = r;
  if (!MODEL_RUN.copy(w, requestedModel, finalProvider, finalModel, outcome, errorType)) {
    w.byte(44);
    str(w, requestedModel);
    w.byte(44);
    str(w, finalProvider);
    w.byte(44);
    str(w, finalModel);
    w.byte(44);
    str(w, outcome);
    w.byte(44);
    strOrEmpty(w, errorType);
    MODEL_RUN.wrote(w, requestedModel, finalProvider, finalModel, outcome, errorType);
  }
  w.byte(44);
  num(w, r.httpStatus);
  w.byte(44);
  num(w, r.attemptCount);
  w.byte(44);
  num(w, r.retryCount);
  w.byte(44);
  strArrayAndJoined(w, r.fallbackPath, 62);
  w.byte(44);
  num(w, r.latencyMs);
  w.byte(44);
  numOrNull(w, r.timeToFirstChunkMs);
  w.byte(44);
  num(w, r.overheadMs);
  const u = r.usage;
  if (typeof u === 'object' && u !== null) writeUsageColumns(w, u);
  else w.bad = true;
  w.byte(44);
  numOrNullStrict(w, r.costUsd);
  const { priceTableVersion, configHash } = r;
  const res = r.resource;
  if (typeof res === 'object' && res !== null) {
    const { service, namespace, pod, workload } = res;
    if (!CONFIG_RUN.copy(w, priceTableVersion, configHash, service, namespace, pod, workload)) {
      w.byte(44);
      str(w, priceTableVersion);
      w.byte(44);
      str(w, configHash);
      w.byte(44);
      str(w, service);
      w.byte(44);
      str(w, namespace);
      w.byte(44);
      str(w, pod);
      w.byte(44);
      str(w, workload);
      CONFIG_RUN.wrote(w, priceTableVersion, configHash, service, namespace, pod, workload);
    }
  } else w.bad = true;
}
