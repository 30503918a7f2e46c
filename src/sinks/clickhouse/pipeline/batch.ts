import { createHash } from 'node:crypto';

/** Tables the sink writes. */
export type SinkTable = 'ai_calls' | 'ai_attempts' | 'otel_traces';
export const SINK_TABLES: readonly SinkTable[] = ['ai_calls', 'ai_attempts', 'otel_traces'];

/**
 * A sealed, immutable batch: JSONEachRow lines for one table. `seq` orders batches across tables
 * and restarts (the spool names files by it). `token` is a pure function of table and body, so the
 * same batch carries the same insert_deduplication_token on every replay, even after a restart.
 */
export interface Batch {
  seq: number;
  table: SinkTable;
  rows: number;
  body: string;
  bytes: number;
  token: string;
}

export function dedupToken(table: SinkTable, body: string): string {
  return `${table}-${createHash('sha256').update(body).digest('hex').slice(0, 40)}`;
}

export function makeBatch(seq: number, table: SinkTable, lines: readonly string[]): Batch {
  const body = `${lines.join('\n')}\n`;
  return { seq, table, rows: lines.length, body, bytes: Buffer.byteLength(body), token: dedupToken(table, body) };
}
