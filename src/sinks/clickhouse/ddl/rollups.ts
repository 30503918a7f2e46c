import { DEDUP_SETTINGS, type DdlContext, distributedTable, engine, onCluster, qualified, quoteIdent, storageName } from './context.js';

/**
 * `ai_calls_hourly`: an AggregatingMergeTree fed by a materialized view on the ledger, for
 * dashboards and alerts. Query it with sum() over the Simple columns and
 * `quantilesMerge(0.5, 0.95, 0.99)(latency_ms_q)`, GROUP BY the key (rows are partial until merged).
 *
 * Dedup: a materialized view sees raw insert blocks. ClickHouse 26 still pushes a block the ledger
 * dropped as a duplicate through the view, but the view's block inherits the insert's dedup token,
 * so giving this table the same dedup window makes it drop the replayed block too (tested). A
 * duplicate that got past the ledger's window (a replay older than 7 days or 10,000 inserts) would
 * be folded in ai_calls by ReplacingMergeTree but stays counted here; see docs/clickhouse.md.
 */
export const HOURLY_QUANTILES = '0.5, 0.95, 0.99';

export function rollupsDdl(ctx: DdlContext): string[] {
  const table = storageName(ctx, 'ai_calls_hourly');
  return [
    `CREATE TABLE IF NOT EXISTS ${qualified(ctx, table)}${onCluster(ctx)}\n(\n` +
      "  hour DateTime('UTC'),\n" +
      '  feature LowCardinality(String),\n' +
      '  final_provider LowCardinality(String),\n' +
      '  final_model LowCardinality(String),\n' +
      '  namespace LowCardinality(String),\n' +
      '  workload LowCardinality(String),\n' +
      '  calls SimpleAggregateFunction(sum, UInt64),\n' +
      '  errors SimpleAggregateFunction(sum, UInt64),\n' +
      '  fallbacks SimpleAggregateFunction(sum, UInt64),\n' +
      '  retries SimpleAggregateFunction(sum, UInt64),\n' +
      '  cost_usd_sum SimpleAggregateFunction(sum, Float64),\n' +
      '  unpriced_calls SimpleAggregateFunction(sum, UInt64),\n' +
      '  input_tokens_sum SimpleAggregateFunction(sum, UInt64),\n' +
      '  output_tokens_sum SimpleAggregateFunction(sum, UInt64),\n' +
      '  cache_read_tokens_sum SimpleAggregateFunction(sum, UInt64),\n' +
      '  cache_write_tokens_sum SimpleAggregateFunction(sum, UInt64),\n' +
      '  reasoning_tokens_sum SimpleAggregateFunction(sum, UInt64),\n' +
      '  latency_ms_sum SimpleAggregateFunction(sum, Float64),\n' +
      `  latency_ms_q AggregateFunction(quantiles(${HOURLY_QUANTILES}), Float64),\n` +
      `  ttfc_ms_q AggregateFunction(quantiles(${HOURLY_QUANTILES}), Float64)\n` +
      ')\n' +
      `ENGINE = ${engine(ctx, 'AggregatingMergeTree')}\n` +
      'PARTITION BY toYYYYMM(hour)\n' +
      'ORDER BY (hour, feature, final_provider, final_model, namespace, workload)\n' +
      `SETTINGS ${DEDUP_SETTINGS}`,
    ...distributedTable(ctx, 'ai_calls_hourly', 'rand()'),
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${qualified(ctx, `${table}_mv`)}${onCluster(ctx)}\n` +
      `TO ${qualified(ctx, table)}\n` +
      'AS SELECT\n' +
      "  toStartOfHour(ts, 'UTC') AS hour,\n" +
      '  feature, final_provider, final_model, namespace, workload,\n' +
      '  count() AS calls,\n' +
      "  countIf(outcome = 'error') AS errors,\n" +
      '  countIf(length(fallback_path) > 1) AS fallbacks,\n' +
      '  sum(toUInt64(retry_count)) AS retries,\n' +
      '  sum(ifNull(cost_usd, 0)) AS cost_usd_sum,\n' +
      '  countIf(cost_usd IS NULL) AS unpriced_calls,\n' +
      '  sum(input_tokens) AS input_tokens_sum,\n' +
      '  sum(output_tokens) AS output_tokens_sum,\n' +
      '  sum(cache_read_tokens) AS cache_read_tokens_sum,\n' +
      '  sum(cache_write_tokens) AS cache_write_tokens_sum,\n' +
      '  sum(reasoning_tokens) AS reasoning_tokens_sum,\n' +
      '  sum(latency_ms) AS latency_ms_sum,\n' +
      `  quantilesState(${HOURLY_QUANTILES})(latency_ms) AS latency_ms_q,\n` +
      `  quantilesStateIf(${HOURLY_QUANTILES})(assumeNotNull(ttfc_ms), ttfc_ms IS NOT NULL) AS ttfc_ms_q\n` +
      `FROM ${quoteIdent(ctx.database)}.${quoteIdent(storageName(ctx, 'ai_calls'))}\n` +
      'GROUP BY hour, feature, final_provider, final_model, namespace, workload',
  ];
}
