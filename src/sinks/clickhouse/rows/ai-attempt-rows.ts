import type { CallRecord } from '../../../core/call-record.js';
import { formatDateTime64ms } from './time-format.js';

/** One `ai_attempts` row, as JSONEachRow. */
export interface AiAttemptRow {
  call_id: string;
  ts: string;
  started_at: string;
  feature: string;
  attempt_index: number;
  target_index: number;
  try_number: number;
  provider: string;
  provider_name: string;
  model: string;
  response_model: string;
  server_address: string;
  span_id: string;
  http_status: number;
  outcome: string;
  error_type: string;
  duration_ms: number;
  ttfc_ms: number | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  cost_usd: number | null;
}

/**
 * `ts` is the call's start (the partition and join key); `started_at` is the attempt's own. The sink
 * writes these values inside the call's `ai_calls_in_v2` row (rows/ai-call-in-row.ts), and the view
 * `ai_calls_in_v2_attempts_mv` makes the rows.
 */
export function toAiAttemptRows(r: CallRecord): AiAttemptRow[] {
  const ts = formatDateTime64ms(r.startedAtMs);
  return r.attempts.map((a) => ({
    call_id: r.callId,
    ts,
    started_at: formatDateTime64ms(a.startedAtMs),
    feature: r.feature,
    attempt_index: a.index,
    target_index: a.targetIndex,
    try_number: a.tryNumber,
    provider: a.provider,
    provider_name: a.providerName,
    model: a.model,
    response_model: a.responseModel ?? '',
    server_address: a.serverAddress,
    span_id: a.spanId ?? '',
    http_status: a.httpStatus ?? 0,
    outcome: a.outcome,
    error_type: a.errorType ?? '',
    duration_ms: a.durationMs,
    ttfc_ms: a.timeToFirstChunkMs ?? null,
    input_tokens: a.usage?.inputTokens ?? 0,
    output_tokens: a.usage?.outputTokens ?? 0,
    cache_read_tokens: a.usage?.cacheReadTokens ?? 0,
    cache_write_tokens: a.usage?.cacheWriteTokens ?? 0,
    reasoning_tokens: a.usage?.reasoningTokens ?? 0,
    cost_usd: a.costUsd,
  }));
}
