import type { AttemptRecord, CallRecord } from '../../../core/call-record.js';
import { ColumnRun } from './column-run.js';
import { content, contentOrEmpty, num, numOrNull, numOrNullStrict, numOrZero, str, strOrEmpty } from './json-values.js';
import { utf8 } from '../../../core/json-bytes.js';
import type { RowBytes } from './row-bytes.js';
import { writeUsageColumns } from './usage-columns.js';
import { writeDateTime64ms } from './time-bytes.js';
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

const F = {
  // Ids go between fragments that hold their quotes (as JSON string content): the quote that closes
  // span_id opens the outcome run.
  callId: utf8('{"call_id":"'),
  ts: utf8('","ts":"'),
  startedAt: utf8('","started_at":"'),
  feature: utf8('","feature":'),
  attemptIndex: utf8(',"attempt_index":'),
  targetIndex: utf8(',"target_index":'),
  tryNumber: utf8(',"try_number":'),
  provider: utf8(',"provider":'),
  providerName: utf8(',"provider_name":'),
  model: utf8(',"model":'),
  responseModel: utf8(',"response_model":'),
  serverAddress: utf8(',"server_address":'),
  spanId: utf8(',"span_id":"'),
  httpStatus: utf8('","http_status":'),
  outcome: utf8(',"outcome":'),
  errorType: utf8(',"error_type":'),
  durationMs: utf8(',"duration_ms":'),
  ttfcMs: utf8(',"ttfc_ms":'),
  noUsage: utf8(',"input_tokens":0,"output_tokens":0,"cache_read_tokens":0,"cache_write_tokens":0,"reasoning_tokens":0'),
  costUsd: utf8(',"cost_usd":'),
};

/**
 * Writes `toAiAttemptRows(r).map(JSON.stringify)` into `w`, one row each, byte for byte, without the
 * intermediate objects or strings. A record with a field of an unexpected type has all its attempt
 * rows written on the object path. Throws (having written part of the rows) for a record that
 * cannot be serialized at all: the caller rolls the record back.
 */
export function writeAiAttemptRows(w: RowBytes, r: CallRecord): void {
  const attempts = r.attempts;
  const start = w.pos;
  const firstRow = w.rowEnds.length;
  w.bad = !Array.isArray(attempts);
  if (!w.bad) {
    for (const a of attempts) {
      if (typeof a !== 'object' || a === null) {
        w.bad = true;
        break;
      }
      writeAttemptRow(w, r, a);
      if (w.bad) break;
      w.endRow();
    }
  }
  if (w.bad) {
    w.pos = start;
    w.rowEnds.length = firstRow;
    for (const row of toAiAttemptRows(r)) {
      w.native(JSON.stringify(row));
      w.endRow();
    }
  }
}

// Runs of columns that repeat from attempt to attempt (see ColumnRun).
const TARGET_RUN = new ColumnRun();
const OUTCOME_RUN = new ColumnRun();

function writeAttemptRow(w: RowBytes, r: CallRecord, a: AttemptRecord): void {
  w.bytes(F.callId);
  content(w, r.callId);
  w.bytes(F.ts);
  writeDateTime64ms(w, r.startedAtMs);
  w.bytes(F.startedAt);
  writeDateTime64ms(w, a.startedAtMs);
  const feature = r.feature;
  const { index, targetIndex, tryNumber, provider, providerName, model, responseModel, serverAddress } = a;
  if (!TARGET_RUN.copy(w, feature, index, targetIndex, tryNumber, provider, providerName, model, responseModel, serverAddress)) {
    w.bytes(F.feature);
    str(w, feature);
    w.bytes(F.attemptIndex);
    num(w, index);
    w.bytes(F.targetIndex);
    num(w, targetIndex);
    w.bytes(F.tryNumber);
    num(w, tryNumber);
    w.bytes(F.provider);
    str(w, provider);
    w.bytes(F.providerName);
    str(w, providerName);
    w.bytes(F.model);
    str(w, model);
    w.bytes(F.responseModel);
    strOrEmpty(w, responseModel);
    w.bytes(F.serverAddress);
    str(w, serverAddress);
    TARGET_RUN.wrote(w, feature, index, targetIndex, tryNumber, provider, providerName, model, responseModel, serverAddress);
  }
  w.bytes(F.spanId);
  contentOrEmpty(w, a.spanId);
  const { httpStatus, outcome, errorType } = a;
  if (!OUTCOME_RUN.copy(w, httpStatus, outcome, errorType)) {
    w.bytes(F.httpStatus);
    numOrZero(w, httpStatus);
    w.bytes(F.outcome);
    str(w, outcome);
    w.bytes(F.errorType);
    strOrEmpty(w, errorType);
    OUTCOME_RUN.wrote(w, httpStatus, outcome, errorType);
  }
  w.bytes(F.durationMs);
  num(w, a.durationMs);
  w.bytes(F.ttfcMs);
  numOrNull(w, a.timeToFirstChunkMs);
  const u = a.usage;
  if (u === undefined || u === null) w.bytes(F.noUsage);
  else writeUsageColumns(w, u);
  w.bytes(F.costUsd);
  numOrNullStrict(w, a.costUsd);
  w.byte(125);
}
