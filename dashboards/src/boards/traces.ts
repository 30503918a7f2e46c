import { table, unitOverride } from '../panels.js';
import { cols, sql } from '../sql/expr.js';
import { macro } from '../sql/macros.js';
import { select } from '../sql/query-builder.js';
import { aiCalls, otelTraces } from '../sql/schema.js';
import { traceLinks } from '../trace-links.js';
import { ledgerFilters } from '../variables.js';
import { addPanels, baseDashboard } from './dashboard-base.js';

/**
 * Traces: the slowest and the failed calls from the ledger, each with links to its trace in
 * Jaeger and in Grafana's ClickHouse trace view; and the gateway's recent SERVER spans.
 */
const c = cols(aiCalls);
const t = cols(otelTraces);
const traceIdLinks = { field: 'trace_id', properties: [traceLinks()] };

const callColumns = {
  time: c.ts,
  feature: c.feature,
  model: sql`concat(${c.final_provider}, '/', ${c.final_model})`,
  latency_ms: c.latency_ms,
  attempts: c.attempt_count,
  fallback_chain: c.fallback_path_str,
  trace_id: c.trace_id,
};

export function tracesDashboard() {
  const panels = [
    table({
      title: 'Slowest calls',
      description: 'The 50 slowest calls in the time range. Click a trace id to open the trace.',
      sql: select({
        from: aiCalls,
        select: { ...callColumns, outcome: c.outcome },
        where: ledgerFilters(),
        orderBy: [
          ['latency_ms', 'DESC'],
          ['trace_id', 'ASC'],
        ],
        limit: 50,
      }),
      unit: 'short',
      width: 24,
      height: 10,
      overrides: [unitOverride('latency_ms', 'ms'), traceIdLinks],
    }),
    table({
      title: 'Failed calls',
      description: 'The 50 most recent calls whose final outcome is error, with the error type and HTTP status.',
      sql: select({
        from: aiCalls,
        select: { ...callColumns, error_type: c.error_type, http_status: c.http_status },
        where: [...ledgerFilters(), sql`${c.outcome} = 'error'`],
        orderBy: [
          ['time', 'DESC'],
          ['trace_id', 'ASC'],
        ],
        limit: 50,
      }),
      unit: 'short',
      width: 24,
      height: 10,
      overrides: [unitOverride('latency_ms', 'ms'), traceIdLinks],
    }),
    table({
      title: 'Gateway spans (otel_traces)',
      description:
        'SERVER spans the sidecars exported to ClickHouse (sampled), slowest first; the feature comes from the switchyard.feature attribute.',
      sql: select({
        from: otelTraces,
        select: {
          time: t.Timestamp,
          service: t.ServiceName,
          span: t.SpanName,
          feature: sql`${t.SpanAttributes}['switchyard.feature']`,
          duration_ms: sql`${t.Duration} / 1000000`,
          status: t.StatusCode,
          trace_id: t.TraceId,
        },
        where: [macro.timeFilter(t.Timestamp), sql`${t.SpanKind} = 'SPAN_KIND_SERVER'`],
        orderBy: [
          ['duration_ms', 'DESC'],
          ['trace_id', 'ASC'],
        ],
        limit: 50,
      }),
      unit: 'short',
      width: 24,
      height: 10,
      overrides: [unitOverride('duration_ms', 'ms'), traceIdLinks],
    }),
  ];
  return addPanels(
    baseDashboard({
      uid: 'switchyard-traces',
      title: 'Switchyard / Traces',
      description: 'Slow and failed calls with links to their traces in Jaeger and in ClickHouse (otel_traces).',
    }),
    [{ panels }],
  ).build();
}
