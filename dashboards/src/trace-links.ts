import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { CLICKHOUSE_DS, JAEGER_DS } from './constants.js';
import { cols, Expr, sql } from './sql/expr.js';
import { select } from './sql/query-builder.js';
import { otelTraces } from './sql/schema.js';

/**
 * Data links on a `trace_id` column: one opens the trace in Jaeger, one in Grafana's trace view
 * over ClickHouse `otel_traces` (the plugin's trace format, queryType "traces", format 3, with
 * the column aliases Grafana's trace panel expects). Both are internal links (Explore).
 */
const t = cols(otelTraces);
// biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana data-link variable, not a JS template
const TRACE_ID_VALUE = '${__value.raw}';
export { TRACE_ID_VALUE };

/** The trace-view query for one trace id (`traceId` may be a Grafana link variable). */
export function traceViewSql(traceId: string): Expr {
  return select({
    from: otelTraces,
    select: {
      traceID: t.TraceId,
      spanID: t.SpanId,
      parentSpanID: t.ParentSpanId,
      serviceName: t.ServiceName,
      operationName: t.SpanName,
      startTime: sql`toUnixTimestamp64Milli(${t.Timestamp})`,
      duration: sql`${t.Duration} / 1000000`,
      tags: sql`arrayMap(key -> map('key', key, 'value', ${t.SpanAttributes}[key]), mapKeys(${t.SpanAttributes}))`,
      serviceTags: sql`arrayMap(key -> map('key', key, 'value', ${t.ResourceAttributes}[key]), mapKeys(${t.ResourceAttributes}))`,
      statusCode: t.StatusCode,
    },
    where: [sql`${t.TraceId} = '${new Expr(traceId)}'`],
    orderBy: [['startTime', 'ASC']],
    limit: 1000,
  });
}

export function traceLinks(): dashboard.DynamicConfigValue {
  return {
    id: 'links',
    value: [
      {
        title: 'Open trace in Jaeger',
        url: '',
        internal: {
          datasourceUid: JAEGER_DS.uid,
          datasourceName: JAEGER_DS.name,
          query: { refId: 'A', datasource: { type: JAEGER_DS.type, uid: JAEGER_DS.uid }, query: TRACE_ID_VALUE },
        },
      },
      {
        title: 'Open trace in Grafana (ClickHouse otel_traces)',
        url: '',
        internal: {
          datasourceUid: CLICKHOUSE_DS.uid,
          datasourceName: 'ClickHouse',
          query: {
            refId: 'A',
            datasource: { ...CLICKHOUSE_DS },
            editorType: 'sql',
            queryType: 'traces',
            format: 3,
            rawSql: traceViewSql(TRACE_ID_VALUE).sql,
          },
        },
      },
    ],
  };
}
