/**
 * What DDL depends on: the database, an optional cluster and an optional TTL. Single node: plain
 * MergeTree-family tables under their public names. Cluster: `<name>_local` Replicated tables
 * created ON CLUSTER, and a Distributed table under the public name, so queries and inserts use the
 * same names everywhere.
 */
export interface DdlContext {
  database: string;
  cluster?: string;
  ttlDays?: number;
}

export type MergeTreeKind = 'MergeTree' | 'ReplacingMergeTree' | 'AggregatingMergeTree';

/**
 * Insert deduplication must hold for as long as a batch can sit in the spool and be replayed.
 * Non-replicated MergeTree keeps no insert hashes unless this window is set (the default is 0).
 */
export const DEDUP_SETTINGS =
  'non_replicated_deduplication_window = 10000, replicated_deduplication_window = 10000, ' +
  'replicated_deduplication_window_seconds = 604800';

export function quoteIdent(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

export function onCluster(ctx: DdlContext): string {
  return ctx.cluster ? ` ON CLUSTER ${quoteIdent(ctx.cluster)}` : '';
}

/** Name of the table that stores rows (the Replicated one in cluster mode). */
export function storageName(ctx: DdlContext, table: string): string {
  return ctx.cluster ? `${table}_local` : table;
}

/** Fully qualified, quoted name of a table. */
export function qualified(ctx: DdlContext, table: string): string {
  return `${quoteIdent(ctx.database)}.${quoteIdent(table)}`;
}

export function engine(ctx: DdlContext, kind: MergeTreeKind, opts: { shared?: boolean } = {}): string {
  if (!ctx.cluster) return kind;
  // shared: one copy on every node of the cluster (no {shard} in the path), for schema_migrations.
  const zkPath = opts.shared ? '/clickhouse/tables/all/{database}/{table}' : '/clickhouse/tables/{shard}/{database}/{table}';
  return `Replicated${kind}('${zkPath}', '{replica}')`;
}

export function ttlClause(ctx: DdlContext, column: string): string {
  return ctx.ttlDays ? `\nTTL toDateTime(${column}) + toIntervalDay(${ctx.ttlDays})` : '';
}

/** The Distributed table under the public name, over the `_local` tables (cluster mode only). */
export function distributedTable(ctx: DdlContext, table: string, shardingKey: string): string[] {
  if (!ctx.cluster) return [];
  return [
    `CREATE TABLE IF NOT EXISTS ${qualified(ctx, table)}${onCluster(ctx)} AS ${qualified(ctx, storageName(ctx, table))}\n` +
      `ENGINE = Distributed('${ctx.cluster}', '${ctx.database}', '${storageName(ctx, table)}', ${shardingKey})`,
  ];
}

/** A ledger-style table: ReplacingMergeTree, monthly partitions on `ts`, optional TTL, dedup window. */
export function replacingTableDdl(ctx: DdlContext, t: { table: string; columns: string; orderBy: string; shardingKey: string }): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${qualified(ctx, storageName(ctx, t.table))}${onCluster(ctx)}\n(${t.columns}\n)\n` +
      `ENGINE = ${engine(ctx, 'ReplacingMergeTree')}\n` +
      'PARTITION BY toYYYYMM(ts)\n' +
      `ORDER BY (${t.orderBy})` +
      ttlClause(ctx, 'ts') +
      `\nSETTINGS ${DEDUP_SETTINGS}`,
    ...distributedTable(ctx, t.table, t.shardingKey),
  ];
}
