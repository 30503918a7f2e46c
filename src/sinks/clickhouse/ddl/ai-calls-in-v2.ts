import { CLIENT_POSITIONS, SERVER_POSITIONS, type SpanPosition } from '../rows/span-derivation.js';
import { carriedSpans, columnNames, inputColumns, inputTableDdl } from './ai-calls-in.js';
import type { DdlContext } from './context.js';

/**
 * `ai_calls_in_v2`: where the sidecar writes since migration 6, one row per call. Like
 * `ai_calls_in` (ai-calls-in.ts: a Null table whose views fill `ai_calls`, `ai_attempts` and
 * `otel_traces`, and how they dedup), except in what a carried span holds: the views rebuild most
 * of its attributes from the row's own columns (rows/span-derivation.ts), so a span carries only a
 * bit set of the derived attributes it has (`set`) and the values of the others (`values`: the
 * SERVER span's method and content, the CLIENT span's port, response id and finish reasons).
 *
 * A table of its own, so sidecars of both layouts can write to one database side by side during a
 * rollout, and spool files written for `ai_calls_in` replay into it as they were.
 */
export const AI_CALLS_IN_V2 = 'ai_calls_in_v2';

const ATTEMPT_SPAN =
  'span Tuple(view Bool, name String, start DateTime64(9), duration UInt64, status Nullable(String), ' +
  'values Array(Nullable(String)), set UInt32)';
const CALL_SPAN =
  'span Tuple(view Bool, parent String, trace_state String, name String, start DateTime64(9), duration UInt64, ' +
  'status Nullable(String), values Array(Nullable(String)), set UInt32)';

export function aiCallsInV2Columns(): string {
  return inputColumns(CALL_SPAN, ATTEMPT_SPAN);
}

/** The `ai_calls_in_v2` columns in order: the insert's column list and a row's value order. */
export function aiCallsInV2ColumnNames(): string[] {
  return columnNames(aiCallsInV2Columns());
}

/**
 * A span's attribute values in key order, as the view computes them: a derived position is its
 * column's text when the span's `set` has its bit, else NULL; a carried one is the next element of
 * the span's `values`.
 */
function valuesSql(positions: readonly SpanPosition[], span: string): string {
  let carried = 0;
  const items = positions.map((p, i) =>
    p === null ? `${span}.values[${++carried}]` : `if(bitTest(${span}.set, ${i}), CAST(${p.sql}, 'Nullable(String)'), NULL)`,
  );
  return `[${items.join(', ')}]`;
}

export function aiCallsInV2Ddl(ctx: DdlContext): string[] {
  const spans = carriedSpans({ server: valuesSql(SERVER_POSITIONS, 'span'), client: valuesSql(CLIENT_POSITIONS, 'a.span') });
  return inputTableDdl(ctx, AI_CALLS_IN_V2, aiCallsInV2Columns(), spans);
}
