import type { CallRecord } from '../../../core/call-record.js';
import { fast, lc, num, numOrNull, numOrNullStrict, numOrZero, str, strOrEmpty } from './json.js';
import { fastDateTime64ms, formatDateTime64ms } from './time-format.js';

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

/** `ts` is the call's start (the partition and join key); `started_at` is the attempt's own. */
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

/**
 * `toAiAttemptRows(r).map(JSON.stringify)`, byte for byte, appended to `out`, without the
 * intermediate objects. `ts` is the call's formatted start. Falls back to the object path for a
 * record with a field of an unexpected type.
 */
export function serializeAiAttemptRows(r: CallRecord, ts: string, out: string[]): void {
  const attempts = r.attempts;
  if (!Array.isArray(attempts)) {
    for (const row of toAiAttemptRows(r)) out.push(JSON.stringify(row));
    return;
  }
  const start = out.length;
  fast.bad = false;
  const head = `{"call_id":${str(r.callId)},"ts":"${ts}","started_at":"`;
  const feature = `,"feature":${lc(r.feature)},"attempt_index":`;
  for (const a of attempts) {
    if (typeof a !== 'object' || a === null) {
      fast.bad = true;
      break;
    }
    const u = a.usage;
    const usage =
      u === undefined || u === null
        ? ',"input_tokens":0,"output_tokens":0,"cache_read_tokens":0,"cache_write_tokens":0,"reasoning_tokens":0'
        : `,"input_tokens":${numOrZero(u.inputTokens)},"output_tokens":${numOrZero(u.outputTokens)}` +
          `,"cache_read_tokens":${numOrZero(u.cacheReadTokens)},"cache_write_tokens":${numOrZero(u.cacheWriteTokens)}` +
          `,"reasoning_tokens":${numOrZero(u.reasoningTokens)}`;
    out.push(
      `${head}${fastDateTime64ms(a.startedAtMs)}"${feature}${num(a.index)},"target_index":${num(a.targetIndex)}` +
        `,"try_number":${num(a.tryNumber)},"provider":${lc(a.provider)},"provider_name":${lc(a.providerName)}` +
        `,"model":${lc(a.model)},"response_model":${strOrEmpty(a.responseModel)},"server_address":${lc(a.serverAddress)}` +
        `,"span_id":${strOrEmptyPlain(a.spanId)},"http_status":${numOrZero(a.httpStatus)},"outcome":${lc(a.outcome)}` +
        `,"error_type":${strOrEmpty(a.errorType)},"duration_ms":${num(a.durationMs)},"ttfc_ms":${numOrNull(a.timeToFirstChunkMs)}` +
        `${usage},"cost_usd":${numOrNullStrict(a.costUsd)}}`,
    );
    if (fast.bad) break;
  }
  if (fast.bad) {
    out.length = start;
    for (const row of toAiAttemptRows(r)) out.push(JSON.stringify(row));
  }
}

/** `v ?? ''` for a high-cardinality string (not cached). */
function strOrEmptyPlain(v: unknown): string {
  return v === undefined || v === null ? '""' : str(v);
}
