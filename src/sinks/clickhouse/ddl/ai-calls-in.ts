import { SPAN_KINDS, STATUS_CODES } from '../rows/otel-span-row.js';
import { AI_ATTEMPTS_COLUMNS } from './ai-attempts.js';
import { AI_CALLS_COLUMNS } from './ai-calls.js';
import { type DdlContext, distributedTable, onCluster, qualified, quoteIdent, storageName } from './context.js';

/**
 * `ai_calls_in`: where the sidecar writes, one row per call. A Null table (it stores nothing):
 * materialized views fan each inserted block out into the tables users query:
 * - `ai_calls`: the row's ledger columns, as they are;
 * - `ai_attempts`: one row per element of `attempts`;
 * - `otel_traces`: the call's SERVER span and its attempts' CLIENT spans, for the spans the sidecar
 *   handed to the views (`span.view`); it writes any other span to `otel_traces` itself.
 *
 * Why: a call's four rows (5.2 KB) become one (about 1.6 KB), so the sidecar writes and sends a
 * third of the bytes; the views build the span rows from what the ledger row already holds (ids,
 * times, resource) plus the attributes' values in order (`span.values`, `SERVER_SPAN_KEYS` /
 * `CLIENT_SPAN_KEYS` name them). The rows the views write equal the rows the sidecar would have
 * written, byte for byte (tested against the same spans written directly).
 *
 * Dedup: a Null table keeps no insert hashes, so every view's target dedups its own block
 * (`deduplicate_blocks_in_dependent_materialized_views`, which the inserter sets, and the targets'
 * dedup windows): a replayed batch adds nothing anywhere, and a batch whose insert stopped half way
 * fills in what is missing (tested).
 *
 * The key lists and the tuple layouts are part of this migration: never edit them. A change to the
 * span attributes needs a new migration that replaces the views (and the writer checks the lists at
 * start; on a mismatch it writes every span itself).
 */
export const SERVER_SPAN_KEYS: readonly string[] = [
  'http.request.method',
  'url.path',
  'switchyard.call.id',
  'switchyard.feature',
  'switchyard.route',
  'switchyard.operation',
  'switchyard.outcome',
  'switchyard.streamed',
  'switchyard.requested_model',
  'switchyard.attempt.count',
  'switchyard.retry.count',
  'switchyard.fallback.path',
  'switchyard.final.provider',
  'switchyard.final.model',
  'switchyard.usage.input_tokens',
  'switchyard.usage.output_tokens',
  'switchyard.cost.usd',
  'switchyard.overhead_ms',
  'switchyard.time_to_first_chunk_ms',
  'switchyard.config.hash',
  'switchyard.price_table.version',
  'http.response.status_code',
  'switchyard.content.input',
  'switchyard.content.output',
  'error.type',
];

export const CLIENT_SPAN_KEYS: readonly string[] = [
  'gen_ai.operation.name',
  'gen_ai.provider.name',
  'gen_ai.request.model',
  'gen_ai.request.stream',
  'server.address',
  'switchyard.provider',
  'server.port',
  'switchyard.attempt.index',
  'switchyard.attempt.target_index',
  'switchyard.attempt.try',
  'gen_ai.response.model',
  'gen_ai.response.id',
  'gen_ai.response.finish_reasons',
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.output_tokens',
  'gen_ai.usage.cache_read.input_tokens',
  'gen_ai.usage.cache_creation.input_tokens',
  'gen_ai.usage.reasoning.output_tokens',
  'gen_ai.response.time_to_first_chunk',
  'http.response.status_code',
  'switchyard.cost.usd',
  'error.type',
];

/** The scope of the spans the views write (the lean span path's). */
export const VIEW_SCOPE = { name: 'switchyard', version: '' };

/** Column definitions without codecs and indexes (a Null table stores nothing). */
function plainColumns(ddl: string): string[] {
  return ddl
    .split('\n')
    .map((l) => l.trim().replace(/,$/, ''))
    .filter((l) => l !== '' && !l.startsWith('INDEX '))
    .map((l) => l.replace(/\s+CODEC\(.*\)$/, ''));
}

const LEDGER_IN_ATTEMPTS = new Set(['call_id', 'ts', 'feature']);

/** The `attempts` element: the `ai_attempts` columns a call row does not already hold, then `span`. */
const ATTEMPT_COLUMNS = plainColumns(AI_ATTEMPTS_COLUMNS).filter((c) => !LEDGER_IN_ATTEMPTS.has(c.split(' ')[0] as string));
export const ATTEMPT_FIELDS: readonly string[] = ATTEMPT_COLUMNS.map((c) => c.split(' ')[0] as string);

const ATTEMPT_SPAN =
  'span Tuple(view Bool, name String, start DateTime64(9), duration UInt64, status Nullable(String), values Array(Nullable(String)))';
const CALL_SPAN =
  'span Tuple(view Bool, parent String, trace_state String, name String, start DateTime64(9), duration UInt64, ' +
  'status Nullable(String), values Array(Nullable(String)))';

/** An input table's columns: the `ai_calls` ones, the resource, and the given span tuple layouts. */
export function inputColumns(callSpan: string, attemptSpan: string): string {
  return [
    ...plainColumns(AI_CALLS_COLUMNS),
    'resource_attributes Map(LowCardinality(String), String)',
    callSpan,
    `attempts Array(Tuple(${[...ATTEMPT_COLUMNS, attemptSpan].join(', ')}))`,
  ]
    .map((c) => `  ${c}`)
    .join(',\n');
}

/** The names of `columns` (one definition per line), in order. */
export function columnNames(columns: string): string[] {
  return columns.split('\n').map((c) => c.trim().split(' ')[0] as string);
}

export function aiCallsInColumns(): string {
  return inputColumns(CALL_SPAN, ATTEMPT_SPAN);
}

/**
 * The `ai_calls_in` columns in order: the column list of the sidecar's inserts, and the order of a
 * row's values (JSONCompactEachRow, rows/ai-call-in-row.ts).
 */
export function aiCallsInColumnNames(): string[] {
  return columnNames(aiCallsInColumns());
}

function sqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * The spans a row carries, as one array of positional tuples (span id, parent, name, start,
 * duration, status message, values, kind, keys): the SERVER span when `span.view`, then each
 * attempt's CLIENT span when its `span.view`. One view over it writes one block (one part) per
 * insert into `otel_traces`. `values`: the SERVER span's values array, and the CLIENT one's over the
 * attempt `a` (here the carried arrays; ai-calls-in-v2.ts rebuilds most of them from the columns).
 */
export function carriedSpans(values = { server: 'span.values', client: 'a.span.values' }): string {
  const keys = (list: readonly string[]) => `[${list.map(sqlString).join(', ')}]`;
  const server = `(span_id, span.parent, span.name, span.start, span.duration, span.status, ${values.server}, ${sqlString(SPAN_KINDS[SERVER] as string)}, ${keys(SERVER_SPAN_KEYS)})`;
  const client = `(a.span_id, span_id, a.span.name, a.span.start, a.span.duration, a.span.status, ${values.client}, ${sqlString(SPAN_KINDS[CLIENT] as string)}, ${keys(CLIENT_SPAN_KEYS)})`;
  return `arrayConcat(if(span.view, [${server}], []), arrayMap(a -> ${client}, arrayFilter(a -> a.span.view, attempts)))`;
}

const SPAN_COLUMNS = [
  's.4 AS Timestamp',
  'trace_id AS TraceId',
  's.1 AS SpanId',
  's.2 AS ParentSpanId',
  'span.trace_state AS TraceState',
  's.3 AS SpanName',
  's.8 AS SpanKind',
  "resource_attributes['service.name'] AS ServiceName",
  'resource_attributes AS ResourceAttributes',
  `${sqlString(VIEW_SCOPE.name)} AS ScopeName`,
  `${sqlString(VIEW_SCOPE.version)} AS ScopeVersion`,
  // The values paired with the keys, NULLs (not set) left out.
  'mapFromArrays(arrayFilter((k, v) -> v IS NOT NULL, s.9, s.7), arrayMap(v -> assumeNotNull(v), arrayFilter(v -> v IS NOT NULL, s.7))) AS SpanAttributes',
  's.5 AS Duration',
  `if(s.6 IS NULL, ${sqlString(STATUS_CODES[0] as string)}, ${sqlString(STATUS_CODES[2] as string)}) AS StatusCode`,
  "ifNull(s.6, '') AS StatusMessage",
].join(',\n  ');

const SERVER = 1;
const CLIENT = 2;

/**
 * An input table (a `Null` table, Distributed over the nodes on a cluster) and its three views:
 * `ai_calls`, `ai_attempts`, and `otel_traces` from `spans` (the ARRAY JOIN of `carriedSpans`).
 */
export function inputTableDdl(ctx: DdlContext, table: string, columns: string, spans: string): string[] {
  const input = storageName(ctx, table);
  const from = `${quoteIdent(ctx.database)}.${quoteIdent(input)}`;
  const view = (name: string, target: string, select: string) =>
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${qualified(ctx, `${input}_${name}_mv`)}${onCluster(ctx)}\n` +
    `TO ${qualified(ctx, storageName(ctx, target))}\nAS SELECT\n  ${select}`;
  return [
    `CREATE TABLE IF NOT EXISTS ${qualified(ctx, input)}${onCluster(ctx)}\n(\n${columns}\n)\nENGINE = Null`,
    ...distributedTable(ctx, table, 'cityHash64(call_id)'),
    view('calls', 'ai_calls', `* EXCEPT (resource_attributes, span, attempts)\nFROM ${from}`),
    view(
      'attempts',
      'ai_attempts',
      `call_id, ts, feature,\n  ${ATTEMPT_FIELDS.map((f) => `a.${f} AS ${f}`).join(',\n  ')}\nFROM ${from}\nARRAY JOIN attempts AS a`,
    ),
    view('spans', 'otel_traces', `${SPAN_COLUMNS}\nFROM ${from}\nARRAY JOIN ${spans} AS s`),
  ];
}

export function aiCallsInDdl(ctx: DdlContext): string[] {
  return inputTableDdl(ctx, 'ai_calls_in', aiCallsInColumns(), carriedSpans());
}
