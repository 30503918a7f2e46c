import { type DdlContext, distributedTable, onCluster, qualified, quoteIdent, storageName } from './context.js';

/**
 * `otlp_in` (migration 7): where the sidecar writes since the span ledger, one row per OTLP/JSON
 * trace document (`ExportTraceServiceRequest`, the very bytes its OTLP exporter sends), format
 * JSONEachRow with named tuples read from objects. A Null table: views fan each inserted block out
 * to the tables users query, through `otlp_spans_in` (one row per span, attributes as a map):
 * - `otel_traces`: every sampled span (W3C flag bit 0), the Collector exporter's row;
 * - `ai_calls`: every SERVER span that carries `switchyard.call.id` (sampled or not: the ledger is
 *   never sampled; the sidecar writes unsampled calls' spans here only);
 * - `ai_attempts`: every CLIENT span that carries `switchyard.call.id` (its call's id and feature
 *   ride on the span; the call's start is the call id's UUIDv7 milliseconds).
 * The rows equal what the row writers made (per-column checksums in bench/otlp-ledger-probe.ts, and
 * the ledger tests, field by field). Dedup as for `ai_calls_in` (ai-calls-in.ts): the inserter's
 * token per batch, each view's target dedups its own block.
 *
 * The documents' shape is part of this migration: never edit it; add a migration.
 */
export const OTLP_IN = 'otlp_in';

/** An OTLP AnyValue, as far as the sidecar writes them (strings, numbers, bools, string arrays). */
const VALUE =
  'Tuple(stringValue Nullable(String), intValue Nullable(Int64), doubleValue Nullable(Float64), boolValue Nullable(Bool), ' +
  'arrayValue Tuple(values Array(Tuple(stringValue Nullable(String)))))';
const ATTRS = `Array(Tuple(key String, value ${VALUE}))`;
const SPAN =
  'Tuple(traceId String, spanId String, parentSpanId String, traceState String, name String, kind UInt8, ' +
  `startTimeUnixNano UInt64, endTimeUnixNano UInt64, attributes ${ATTRS}, status Tuple(code UInt8, message String), flags UInt32)`;
export const OTLP_IN_COLUMNS = `resourceSpans Array(Tuple(resource Tuple(attributes ${ATTRS}), scopeSpans Array(Tuple(scope Tuple(name String, version String), spans Array(${SPAN})))))`;

/** The insert settings a document needs (the inserter sets them on `otlp_in` batches). */
export const OTLP_IN_SETTINGS = {
  input_format_json_named_tuples_as_objects: 1,
  input_format_json_defaults_for_missing_elements_in_named_tuple: 1,
  // OTLP fields the tuples leave out (events, links, dropped counts, …).
  input_format_skip_unknown_fields: 1,
} as const;

/** An attribute's text as the Collector's exporter writes it (pcommon AsString: arrays as JSON). */
const text = (a: string) =>
  `coalesce(${a}.value.stringValue, toString(${a}.value.intValue), toString(${a}.value.doubleValue), toString(${a}.value.boolValue), ` +
  `if(empty(${a}.value.arrayValue.values), NULL, toJSONString(arrayMap(x -> x.stringValue, ${a}.value.arrayValue.values))), '')`;
const asMap = (list: string) => `mapFromArrays(arrayMap(a -> a.key, ${list}), arrayMap(a -> ${text('a')}, ${list}))`;

const SPANS_IN_COLUMNS =
  'res Map(LowCardinality(String), String), scope_name String, scope_version String, trace_id String, span_id String, ' +
  'parent String, trace_state String, name String, kind UInt8, start UInt64, end UInt64, ' +
  'attrs Map(LowCardinality(String), String), status_code UInt8, status_message String, flags UInt32';

/** ms DateTime64(3) from epoch nanoseconds, truncated (as the row writers do). */
const millis = (ns: string) => `fromUnixTimestamp64Milli(toInt64(intDiv(${ns}, 1000000)))`;
/** A UUIDv7's 48-bit milliseconds (the call id is made from the call's start). */
const uuidMillis = (id: string) =>
  `fromUnixTimestamp64Milli(toInt64(reinterpretAsUInt64(reverse(unhex(concat('0000', substring(replaceAll(${id}, '-', ''), 1, 12)))))))`;
const WORKLOAD = ['k8s.deployment.name', 'k8s.statefulset.name', 'k8s.daemonset.name', 'k8s.job.name'];

export function otlpInDdl(ctx: DdlContext): string[] {
  const input = storageName(ctx, OTLP_IN);
  const spans = `${OTLP_IN}_spans`;
  const from = (t: string) => `${quoteIdent(ctx.database)}.${quoteIdent(t)}`;
  const view = (name: string, target: string, select: string) =>
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${qualified(ctx, `${input}_${name}_mv`)}${onCluster(ctx)}\n` +
    `TO ${qualified(ctx, target)}\nAS SELECT\n  ${select}`;
  const workload = `multiIf(${WORKLOAD.map((k) => `res['${k}'] != '', res['${k}'], `).join('')}'')`;
  return [
    `CREATE TABLE IF NOT EXISTS ${qualified(ctx, input)}${onCluster(ctx)}\n(\n  ${OTLP_IN_COLUMNS}\n)\nENGINE = Null`,
    // A replayed document goes to the shard it went to the first time (its dedup token is there).
    ...distributedTable(ctx, OTLP_IN, 'cityHash64(resourceSpans)'),
    `CREATE TABLE IF NOT EXISTS ${qualified(ctx, storageName(ctx, spans))}${onCluster(ctx)}\n(${SPANS_IN_COLUMNS})\nENGINE = Null`,
    view(
      'spans',
      storageName(ctx, spans),
      `${asMap('d.1')} AS res, sc.1.name AS scope_name, sc.1.version AS scope_version, sp.traceId AS trace_id, sp.spanId AS span_id,
  sp.parentSpanId AS parent, sp.traceState AS trace_state, sp.name AS name, sp.kind AS kind, sp.startTimeUnixNano AS start,
  sp.endTimeUnixNano AS end, ${asMap('sp.attributes')} AS attrs, sp.status.code AS status_code, sp.status.message AS status_message,
  sp.flags AS flags
FROM ${from(input)}
ARRAY JOIN arrayMap(rs -> (rs.resource.attributes, rs.scopeSpans), resourceSpans) AS d
ARRAY JOIN d.2 AS sc
ARRAY JOIN sc.spans AS sp`,
    ),
    view(
      'traces',
      storageName(ctx, 'otel_traces'),
      `fromUnixTimestamp64Nano(toInt64(start)) AS Timestamp, trace_id AS TraceId, span_id AS SpanId, parent AS ParentSpanId,
  trace_state AS TraceState, name AS SpanName,
  ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'][kind + 1] AS SpanKind,
  res['service.name'] AS ServiceName, res AS ResourceAttributes, scope_name AS ScopeName, scope_version AS ScopeVersion,
  attrs AS SpanAttributes, end - start AS Duration,
  ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'][status_code + 1] AS StatusCode, status_message AS StatusMessage
FROM ${from(storageName(ctx, spans))}
WHERE bitAnd(flags, 1) = 1`,
    ),
    view(
      'calls',
      storageName(ctx, 'ai_calls'),
      `attrs['switchyard.call.id'] AS call_id, ${millis('start')} AS ts, trace_id, span_id,
  attrs['switchyard.feature'] AS feature, attrs['switchyard.route'] AS route, attrs['switchyard.operation'] AS operation,
  attrs['url.path'] AS path, attrs['switchyard.streamed'] = 'true' AS streamed, attrs['switchyard.requested_model'] AS requested_model,
  attrs['switchyard.final.provider'] AS final_provider, attrs['switchyard.final.model'] AS final_model,
  attrs['switchyard.outcome'] AS outcome, attrs['error.type'] AS error_type, toUInt16OrZero(attrs['http.response.status_code']) AS http_status,
  toUInt16OrZero(attrs['switchyard.attempt.count']) AS attempt_count, toUInt16OrZero(attrs['switchyard.retry.count']) AS retry_count,
  if(attrs['switchyard.fallback.path'] = '', [], splitByChar('>', attrs['switchyard.fallback.path'])) AS fallback_path,
  attrs['switchyard.fallback.path'] AS fallback_path_str, round((end - start) / 1000) / 1000 AS latency_ms,
  toFloat64OrNull(attrs['switchyard.time_to_first_chunk_ms']) AS ttfc_ms, toFloat64OrZero(attrs['switchyard.overhead_ms']) AS overhead_ms,
  toUInt64OrZero(attrs['switchyard.usage.input_tokens']) AS input_tokens, toUInt64OrZero(attrs['switchyard.usage.output_tokens']) AS output_tokens,
  toUInt64OrZero(attrs['switchyard.usage.cache_read.input_tokens']) AS cache_read_tokens,
  toUInt64OrZero(attrs['switchyard.usage.cache_creation.input_tokens']) AS cache_write_tokens,
  toUInt64OrZero(attrs['switchyard.usage.reasoning.output_tokens']) AS reasoning_tokens,
  toFloat64OrNull(attrs['switchyard.cost.usd']) AS cost_usd, attrs['switchyard.price_table.version'] AS price_table_version,
  attrs['switchyard.config.hash'] AS config_hash, res['service.name'] AS service, res['k8s.namespace.name'] AS namespace,
  res['k8s.pod.name'] AS pod, ${workload} AS workload
FROM ${from(storageName(ctx, spans))}
WHERE kind = 2 AND attrs['switchyard.call.id'] != ''`,
    ),
    view(
      'attempts',
      storageName(ctx, 'ai_attempts'),
      `attrs['switchyard.call.id'] AS call_id, ${uuidMillis("attrs['switchyard.call.id']")} AS ts, ${millis('start')} AS started_at,
  attrs['switchyard.feature'] AS feature, toUInt16OrZero(attrs['switchyard.attempt.index']) AS attempt_index,
  toUInt16OrZero(attrs['switchyard.attempt.target_index']) AS target_index, toUInt16OrZero(attrs['switchyard.attempt.try']) AS try_number,
  attrs['switchyard.provider'] AS provider, attrs['gen_ai.provider.name'] AS provider_name, attrs['gen_ai.request.model'] AS model,
  attrs['gen_ai.response.model'] AS response_model, attrs['server.address'] AS server_address, span_id,
  toUInt16OrZero(attrs['http.response.status_code']) AS http_status, if(status_code = 2, 'error', 'ok') AS outcome,
  attrs['error.type'] AS error_type, round((end - start) / 1000) / 1000 AS duration_ms,
  round(toFloat64OrNull(attrs['gen_ai.response.time_to_first_chunk']) * 1e6) / 1000 AS ttfc_ms,
  toUInt64OrZero(attrs['gen_ai.usage.input_tokens']) AS input_tokens, toUInt64OrZero(attrs['gen_ai.usage.output_tokens']) AS output_tokens,
  toUInt64OrZero(attrs['gen_ai.usage.cache_read.input_tokens']) AS cache_read_tokens,
  toUInt64OrZero(attrs['gen_ai.usage.cache_creation.input_tokens']) AS cache_write_tokens,
  toUInt64OrZero(attrs['gen_ai.usage.reasoning.output_tokens']) AS reasoning_tokens, toFloat64OrNull(attrs['switchyard.cost.usd']) AS cost_usd
FROM ${from(storageName(ctx, spans))}
WHERE kind = 3 AND attrs['switchyard.call.id'] != ''`,
    ),
  ];
}
