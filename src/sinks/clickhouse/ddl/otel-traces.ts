import {
  DEDUP_SETTINGS,
  type DdlContext,
  distributedTable,
  engine,
  onCluster,
  qualified,
  quoteIdent,
  storageName,
  ttlClause,
} from './context.js';

/**
 * `otel_traces`: the schema of the OpenTelemetry Collector ClickHouse exporter
 * (opentelemetry-collector-contrib exporter/clickhouseexporter/internal/sqltemplates/traces_table.sql,
 * the bloom-filter variant), column for column, so Grafana's ClickHouse trace view and
 * collector-written spans share the table. Our only change is in SETTINGS: the insert dedup window,
 * so spool replays never double a span. The trace-id lookup table and its view are the exporter's too.
 */
export const OTEL_TRACES_COLUMNS = `
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(T64, ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    ResourceAttributeItems Array(String) ALIAS arrayMap(kv -> concat(kv.1, '=', kv.2), CAST(ResourceAttributes, 'Array(Tuple(String, String))')),
    SpanAttributeItems Array(String) ALIAS arrayMap(kv -> concat(kv.1, '=', kv.2), CAST(SpanAttributes, 'Array(Tuple(String, String))')),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1,
    INDEX idx_lower_span_name lower(SpanName) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8`;

export function otelTracesDdl(ctx: DdlContext): string[] {
  const traces = storageName(ctx, 'otel_traces');
  const lookup = storageName(ctx, 'otel_traces_trace_id_ts');
  const lookupTtl = ctx.ttlDays ? `\nTTL toDateTime(Start) + toIntervalDay(${ctx.ttlDays})` : '';
  return [
    `CREATE TABLE IF NOT EXISTS ${qualified(ctx, traces)}${onCluster(ctx)} (${OTEL_TRACES_COLUMNS}\n) ` +
      `ENGINE = ${engine(ctx, 'MergeTree')}\n` +
      'PARTITION BY toDate(Timestamp)\n' +
      'PRIMARY KEY (ServiceName, SpanName, toDateTime(Timestamp))\n' +
      'ORDER BY (ServiceName, SpanName, toDateTime(Timestamp), Timestamp)' +
      ttlClause(ctx, 'Timestamp') +
      `\nSETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, ${DEDUP_SETTINGS}`,
    ...distributedTable(ctx, 'otel_traces', 'cityHash64(TraceId)'),
    `CREATE TABLE IF NOT EXISTS ${qualified(ctx, lookup)}${onCluster(ctx)} (\n` +
      '    TraceId String CODEC(ZSTD(1)),\n' +
      '    Start SimpleAggregateFunction(min, DateTime) CODEC(ZSTD(1)),\n' +
      '    End SimpleAggregateFunction(max, DateTime) CODEC(ZSTD(1))\n' +
      `) ENGINE = ${engine(ctx, 'AggregatingMergeTree')}\n` +
      'PARTITION BY toStartOfWeek(Start)\n' +
      'ORDER BY (TraceId)' +
      lookupTtl +
      '\nSETTINGS index_granularity = 8192, ttl_only_drop_parts = 1',
    ...distributedTable(ctx, 'otel_traces_trace_id_ts', 'cityHash64(TraceId)'),
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${qualified(ctx, `${lookup}_mv`)}${onCluster(ctx)}\n` +
      `TO ${qualified(ctx, lookup)}\n` +
      'AS SELECT\n' +
      '    TraceId,\n' +
      '    min(Timestamp) as Start,\n' +
      '    max(Timestamp) as End\n' +
      `FROM ${quoteIdent(ctx.database)}.${quoteIdent(traces)}\n` +
      "WHERE TraceId != ''\n" +
      'GROUP BY TraceId',
  ];
}
