import { DATABASE } from '../constants.js';

/**
 * The tables the dashboards read, with their columns as ClickHouse types. `ai_calls` is the
 * ledger contract (one row per call); `otel_traces` is the OTel Collector exporter schema
 * (only the columns the trace panels use). A column missing here is a compile error in a query.
 */
export interface Table<C extends string> {
  readonly name: string;
  readonly columns: Readonly<Record<C, string>>;
}

function defineTable<const C extends Record<string, string>>(name: string, columns: C): Table<keyof C & string> {
  return { name: `${DATABASE}.${name}`, columns };
}

export const aiCalls = defineTable('ai_calls', {
  call_id: 'String',
  ts: "DateTime64(3, 'UTC')",
  trace_id: 'String',
  span_id: 'String',
  feature: 'String',
  route: 'String',
  operation: 'String',
  path: 'String',
  streamed: 'Bool',
  requested_model: 'String',
  final_provider: 'String',
  final_model: 'String',
  outcome: 'String',
  error_type: 'String',
  http_status: 'UInt16',
  attempt_count: 'UInt16',
  retry_count: 'UInt16',
  fallback_path: 'Array(String)',
  fallback_path_str: 'String',
  latency_ms: 'Float64',
  ttfc_ms: 'Nullable(Float64)',
  overhead_ms: 'Float64',
  input_tokens: 'UInt64',
  output_tokens: 'UInt64',
  cache_read_tokens: 'UInt64',
  cache_write_tokens: 'UInt64',
  reasoning_tokens: 'UInt64',
  cost_usd: 'Nullable(Float64)',
  price_table_version: 'String',
  config_hash: 'String',
  service: 'String',
  namespace: 'String',
  pod: 'String',
  workload: 'String',
});

/**
 * `ai_calls_hourly`: the rollup the ledger's materialized view keeps (src/sinks/clickhouse/ddl/rollups.ts),
 * one row per hour × feature × final provider/model × namespace/workload, partial until merged:
 * always read it with sum() and GROUP BY.
 */
export const aiCallsHourly = defineTable('ai_calls_hourly', {
  hour: "DateTime('UTC')",
  feature: 'String',
  final_provider: 'String',
  final_model: 'String',
  namespace: 'String',
  workload: 'String',
  calls: 'UInt64',
  errors: 'UInt64',
  fallbacks: 'UInt64',
  retries: 'UInt64',
  cost_usd_sum: 'Float64',
  unpriced_calls: 'UInt64',
});

export const otelTraces = defineTable('otel_traces', {
  Timestamp: 'DateTime64(9)',
  TraceId: 'String',
  SpanId: 'String',
  ParentSpanId: 'String',
  SpanName: 'LowCardinality(String)',
  SpanKind: 'LowCardinality(String)',
  ServiceName: 'LowCardinality(String)',
  ResourceAttributes: 'Map(LowCardinality(String), String)',
  SpanAttributes: 'Map(LowCardinality(String), String)',
  Duration: 'UInt64',
  StatusCode: 'LowCardinality(String)',
  StatusMessage: 'String',
});

export type AiCallsColumn = keyof typeof aiCalls.columns;
export type OtelTracesColumn = keyof typeof otelTraces.columns;
