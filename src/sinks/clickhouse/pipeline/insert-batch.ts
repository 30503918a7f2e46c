import { Readable } from 'node:stream';
import type { ClickHouseClient, ClickHouseSettings as ServerSettings } from '@clickhouse/client';
import { aiCallsInColumnNames } from '../ddl/ai-calls-in.js';
import { aiCallsInV2ColumnNames } from '../ddl/ai-calls-in-v2.js';
import { type DdlContext, qualified, quoteIdent } from '../ddl/context.js';
import { OTLP_IN, OTLP_IN_SETTINGS } from '../ddl/otlp-in.js';
import { type Batch, bodyBytes } from './batch.js';
import { pacedBody } from './paced-body.js';

/** The column list of a JSONCompactEachRow or RowBinary insert, by table (only the `ai_calls_in` tables are written so). */
const COMPACT_COLUMNS: Partial<Record<Batch['table'], string>> = {
  ai_calls_in_v2: aiCallsInV2ColumnNames().map(quoteIdent).join(', '),
  ai_calls_in: aiCallsInColumnNames().map(quoteIdent).join(', '),
};

/** The INSERT statement of a batch: JSONEachRow, or JSONCompactEachRow or RowBinary with the columns named. */
export function insertQuery(ctx: DdlContext, batch: Batch): string {
  const table = qualified(ctx, batch.table);
  const format = batch.format ?? 'JSONEachRow';
  if (format === 'JSONEachRow') return `INSERT INTO ${table} FORMAT JSONEachRow`;
  const columns = COMPACT_COLUMNS[batch.table];
  if (columns === undefined) throw new Error(`no ${format} column list for ${batch.table}`);
  return `INSERT INTO ${table} (${columns}) FORMAT ${format}`;
}

/**
 * One INSERT per batch, body sent as-is (JSONEachRow), with the batch's dedup token. The views on
 * the table (the hourly rollup, the trace-id lookup) dedup their own blocks by the same token
 * (`deduplicate_blocks_in_dependent_materialized_views`, set here because servers differ in its
 * default): a replay after a lost response then adds nothing to a view, and a replay after an insert
 * that stopped between the table and its view fills in what the view missed. With the setting off,
 * ClickHouse 26.7 still runs the views for a replay the table drops, and doubles the rollup (older
 * servers skip them, and leave a view that missed a block short). On a cluster
 * the insert goes to the Distributed table in the foreground, so a failure reaches us (and the
 * spool) instead of sitting in a node's local queue; the Replicated tables dedup each shard block.
 */
export function makeInserter(
  client: ClickHouseClient,
  ctx: DdlContext,
  opts: {
    asyncInsert: boolean;
    /** Send the body in slices (pacedBody): to a server over a socket, not to the embedded chDB, which decodes each chunk as UTF-8 text on its own. */
    paced: boolean;
  },
): (batch: Batch) => Promise<void> {
  const extra: ServerSettings = {};
  if (opts.asyncInsert) Object.assign(extra, { async_insert: 1, wait_for_async_insert: 1, async_insert_deduplicate: 1 });
  if (ctx.cluster) Object.assign(extra, { distributed_foreground_insert: 1 });
  return async (batch) => {
    const res = await client.exec({
      query: insertQuery(ctx, batch),
      values: Readable.from(opts.paced ? pacedBody(batch.body) : [bodyBytes(batch)], { objectMode: false }),
      clickhouse_settings: {
        ...extra,
        insert_deduplicate: 1,
        insert_deduplication_token: batch.token,
        deduplicate_blocks_in_dependent_materialized_views: 1,
        ...(batch.table === OTLP_IN ? OTLP_IN_SETTINGS : STRICT_ROWS),
      },
    });
    res.stream.resume();
    await new Promise<void>((resolve) => {
      res.stream.once('end', resolve);
      res.stream.once('error', () => resolve());
      res.stream.once('close', resolve);
    });
  };
}

/**
 * Row batches: ai_calls_in's tuples are positional arrays; a column the server lacks (a sidecar
 * newer than the schema) fails the insert (the batch waits in the spool) instead of vanishing: a
 * JSONEachRow key it does not know, or a name in a JSONCompactEachRow column list. OTLP documents
 * (`otlp_in`) read objects into named tuples and skip the OTLP fields the table leaves out.
 */
const STRICT_ROWS = { input_format_json_named_tuples_as_objects: 0, input_format_skip_unknown_fields: 0 } as const;
