import { type DdlContext, replacingTableDdl } from './context.js';

/**
 * `ai_attempts`: one row per upstream attempt, keyed to its call by `call_id` (and `ts`, the
 * call's start, so a join or IN on the ledger prunes the same partitions). Idempotent like
 * ai_calls: dedup token per batch, ReplacingMergeTree on (feature, hour, call_id, attempt_index).
 */
export const AI_ATTEMPTS_COLUMNS = `
  call_id String CODEC(ZSTD(1)),
  ts DateTime64(3, 'UTC') CODEC(Delta(8), ZSTD(1)),
  started_at DateTime64(3, 'UTC') CODEC(Delta(8), ZSTD(1)),
  feature LowCardinality(String),
  attempt_index UInt16,
  target_index UInt16,
  try_number UInt16,
  provider LowCardinality(String),
  provider_name LowCardinality(String),
  model LowCardinality(String),
  response_model LowCardinality(String),
  server_address LowCardinality(String),
  span_id String CODEC(ZSTD(1)),
  http_status UInt16,
  outcome LowCardinality(String),
  error_type LowCardinality(String),
  duration_ms Float64 CODEC(ZSTD(1)),
  ttfc_ms Nullable(Float64) CODEC(ZSTD(1)),
  input_tokens UInt64 CODEC(T64, ZSTD(1)),
  output_tokens UInt64 CODEC(T64, ZSTD(1)),
  cache_read_tokens UInt64 CODEC(T64, ZSTD(1)),
  cache_write_tokens UInt64 CODEC(T64, ZSTD(1)),
  reasoning_tokens UInt64 CODEC(T64, ZSTD(1)),
  cost_usd Nullable(Float64) CODEC(ZSTD(1)),
  INDEX idx_call_id call_id TYPE bloom_filter(0.001) GRANULARITY 1`;

export function aiAttemptsDdl(ctx: DdlContext): string[] {
  return replacingTableDdl(ctx, {
    table: 'ai_attempts',
    columns: AI_ATTEMPTS_COLUMNS,
    orderBy: 'feature, toStartOfHour(ts), call_id, attempt_index',
    shardingKey: 'cityHash64(call_id)',
  });
}
