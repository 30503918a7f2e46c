import type { CallRecord } from '../../../core/call-record.js';
import { bool, fast, lc, num, numOrNull, numOrNullStrict, numOrZero, str, strArray, strOrEmpty } from './json.js';
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

/**
 * `JSON.stringify(toAiCallRow(r))`, byte for byte, without the intermediate object: keys are
 * constants, LowCardinality values come from a cache, and the timestamp reuses its second.
 * Falls back to the object path for a record with a field of an unexpected type.
 */
export function serializeAiCallRow(r: CallRecord, ts: string): string {
  fast.bad = false;
  const u = r.usage;
  const res = r.resource;
  const path = r.fallbackPath;
  const line =
    `{"call_id":${str(r.callId)},"ts":"${ts}","trace_id":${str(r.traceId)},"span_id":${str(r.spanId)}` +
    `,"feature":${lc(r.feature)},"route":${lc(r.route)},"operation":${lc(r.operation)},"path":${lc(r.path)}` +
    `,"streamed":${bool(r.streamed)},"requested_model":${lc(r.requestedModel)},"final_provider":${lc(r.finalProvider)}` +
    `,"final_model":${lc(r.finalModel)},"outcome":${lc(r.outcome)},"error_type":${strOrEmpty(r.errorType)}` +
    `,"http_status":${num(r.httpStatus)},"attempt_count":${num(r.attemptCount)},"retry_count":${num(r.retryCount)}` +
    `,"fallback_path":${strArray(path)},"fallback_path_str":${fast.bad ? '' : lc(path.join('>'))}` +
    `,"latency_ms":${num(r.latencyMs)},"ttfc_ms":${numOrNull(r.timeToFirstChunkMs)},"overhead_ms":${num(r.overheadMs)}` +
    (typeof u === 'object' && u !== null
      ? `,"input_tokens":${numOrZero(u.inputTokens)},"output_tokens":${numOrZero(u.outputTokens)}` +
        `,"cache_read_tokens":${numOrZero(u.cacheReadTokens)},"cache_write_tokens":${numOrZero(u.cacheWriteTokens)}` +
        `,"reasoning_tokens":${numOrZero(u.reasoningTokens)}`
      : bad()) +
    `,"cost_usd":${numOrNullStrict(r.costUsd)},"price_table_version":${lc(r.priceTableVersion)},"config_hash":${lc(r.configHash)}` +
    (typeof res === 'object' && res !== null
      ? `,"service":${lc(res.service)},"namespace":${lc(res.namespace)},"pod":${lc(res.pod)},"workload":${lc(res.workload)}}`
      : bad());
  return fast.bad ? JSON.stringify(toAiCallRow(r)) : line;
}

function bad(): string {
  fast.bad = true;
  return '';
}
