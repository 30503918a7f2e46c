import { type DdlContext, replacingTableDdl } from './context.js';

/**
 * `ai_calls`: the ledger, one row per call, never sampled. Column names are a public contract
 * (dashboards and user SQL); change them only with a new migration.
 *
 * Idempotent twice over: every insert carries `insert_deduplication_token` (a hash of the immutable
 * batch) inside a 10,000-block / 7-day window, so a replayed batch is dropped before it lands; and
 * ReplacingMergeTree keyed by (feature, hour, call_id) folds any duplicate that slips past that
 * window at merge time. See docs/clickhouse.md for when FINAL is needed (practically never).
 */
export const AI_CALLS_COLUMNS = `
  call_id String CODEC(ZSTD(1)),
  ts DateTime64(3, 'UTC') CODEC(Delta(8), ZSTD(1)),
  trace_id String CODEC(ZSTD(1)),
  span_id String CODEC(ZSTD(1)),
  feature LowCardinality(String),
  route LowCardinality(String),
  operation LowCardinality(String),
  path LowCardinality(String),
  streamed Bool,
  requested_model LowCardinality(String),
  final_provider LowCardinality(String),
  final_model LowCardinality(String),
  outcome LowCardinality(String),
  error_type LowCardinality(String),
  http_status UInt16,
  attempt_count UInt16,
  retry_count UInt16,
  fallback_path Array(LowCardinality(String)),
  fallback_path_str String CODEC(ZSTD(1)),
  latency_ms Float64 CODEC(ZSTD(1)),
  ttfc_ms Nullable(Float64) CODEC(ZSTD(1)),
  overhead_ms Float64 CODEC(ZSTD(1)),
  input_tokens UInt64 CODEC(T64, ZSTD(1)),
  output_tokens UInt64 CODEC(T64, ZSTD(1)),
  cache_read_tokens UInt64 CODEC(T64, ZSTD(1)),
  cache_write_tokens UInt64 CODEC(T64, ZSTD(1)),
  reasoning_tokens UInt64 CODEC(T64, ZSTD(1)),
  cost_usd Nullable(Float64) CODEC(ZSTD(1)),
  price_table_version LowCardinality(String),
  config_hash LowCardinality(String),
  service LowCardinality(String),
  namespace LowCardinality(String),
  pod LowCardinality(String),
  workload LowCardinality(String),
  INDEX idx_ts ts TYPE minmax GRANULARITY 1,
  INDEX idx_call_id call_id TYPE bloom_filter(0.001) GRANULARITY 1,
  INDEX idx_trace_id trace_id TYPE bloom_filter(0.001) GRANULARITY 1,
  INDEX idx_final_model final_model TYPE set(256) GRANULARITY 4`;

export function aiCallsDdl(ctx: DdlContext): string[] {
  return replacingTableDdl(ctx, {
    table: 'ai_calls',
    columns: AI_CALLS_COLUMNS,
    orderBy: 'feature, toStartOfHour(ts), call_id',
    shardingKey: 'cityHash64(call_id)',
  });
}
