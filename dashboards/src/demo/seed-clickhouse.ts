import type { ClickHouseClient } from '@clickhouse/client';
import type { CallRecord } from '../../../src/core/call-record.js';
import { migrate } from '../../../src/sinks/clickhouse/migrations.js';
import { type AiCallRow, toAiCallRow } from '../../../src/sinks/clickhouse/rows/ai-call-row.js';
import { formatDateTime64ns } from '../../../src/sinks/clickhouse/rows/time-format.js';
import { DATABASE } from '../constants.js';

/**
 * Seeds a real ClickHouse with CallRecords: the project's migrations create the schema, and each
 * record becomes its `ai_calls` row through the ClickHouse sink's own row mapper (toAiCallRow).
 * `spans` adds a SERVER and a CLIENT span per record to `otel_traces` (Collector exporter schema).
 */
export interface SpanRow {
  Timestamp: string;
  TraceId: string;
  SpanId: string;
  ParentSpanId: string;
  SpanName: string;
  SpanKind: string;
  ServiceName: string;
  ResourceAttributes: Record<string, string>;
  SpanAttributes: Record<string, string>;
  Duration: number;
  StatusCode: string;
  StatusMessage: string;
}

export function spanRows(r: CallRecord): SpanRow[] {
  const sec = Math.floor(r.startedAtMs / 1000);
  const nanos = (r.startedAtMs % 1000) * 1e6;
  const resource = { 'service.name': r.resource.service, 'k8s.namespace.name': r.resource.namespace };
  const status = r.outcome === 'ok' ? 'Ok' : 'Error';
  const server: SpanRow = {
    Timestamp: formatDateTime64ns([sec, nanos]),
    TraceId: r.traceId,
    SpanId: r.spanId,
    ParentSpanId: '',
    SpanName: `${r.operation} ${r.feature}`,
    SpanKind: 'Server',
    ServiceName: r.resource.service,
    ResourceAttributes: resource,
    SpanAttributes: { 'switchyard.feature': r.feature, 'switchyard.outcome': r.outcome },
    Duration: Math.round(r.latencyMs * 1e6),
    StatusCode: status,
    StatusMessage: r.errorType ?? '',
  };
  const client: SpanRow = {
    ...server,
    SpanId: `${r.spanId.slice(0, 15)}c`,
    ParentSpanId: r.spanId,
    SpanName: `${r.operation} ${r.finalModel}`,
    SpanKind: 'Client',
    SpanAttributes: { 'gen_ai.request.model': r.finalModel },
    Duration: Math.round((r.latencyMs - r.overheadMs) * 1e6),
  };
  return [server, client];
}

export async function seedClickHouse(
  client: ClickHouseClient,
  opts: { records: CallRecord[]; spansFor?: CallRecord[] },
): Promise<AiCallRow[]> {
  await migrate(client, { database: DATABASE });
  const rows = opts.records.map(toAiCallRow);
  await client.insert({ table: `${DATABASE}.ai_calls`, values: rows, format: 'JSONEachRow' });
  const spans = (opts.spansFor ?? []).flatMap(spanRows);
  if (spans.length) await client.insert({ table: `${DATABASE}.otel_traces`, values: spans, format: 'JSONEachRow' });
  return rows;
}
