import { createHash, randomBytes } from 'node:crypto';

/**
 * Tables the sink writes: `otlp_in` (OTLP/JSON trace documents, one per line: the span ledger,
 * ddl/otlp-in.ts), `ai_calls_in_v2` (one row per call; its views fill `ai_calls`,
 * `ai_attempts` and most of `otel_traces`) and `otel_traces`. Batches for the other tables come only
 * from spools of earlier releases, and replay into them as they were written: `ai_calls_in`
 * (migration 5's layout), and `ai_calls` and `ai_attempts` (before `ai_calls_in`).
 */
export type SinkTable = 'otlp_in' | 'ai_calls_in_v2' | 'ai_calls_in' | 'ai_calls' | 'ai_attempts' | 'otel_traces';
export const SINK_TABLES: readonly SinkTable[] = ['otlp_in', 'ai_calls_in_v2', 'ai_calls_in', 'ai_calls', 'ai_attempts', 'otel_traces'];

/**
 * How a batch's rows are written: JSONEachRow (one object per row, the default when a batch names
 * none), JSONCompactEachRow (one array of values per row) or RowBinary (the values as bytes, no
 * delimiters; rows/ai-call-in-binary.ts). The last two are in the column order the insert names:
 * `ai_calls_in_v2` and `ai_calls_in` only (insert-batch.ts names their columns).
 */
export type RowFormat = 'JSONEachRow' | 'JSONCompactEachRow' | 'RowBinary';

/**
 * A sealed, immutable batch: lines for one table. `seq` orders batches across tables
 * and restarts (the spool names files by it). `token` is the batch's insert_deduplication_token:
 * fixed when the batch is sealed and kept with it (in memory, and in its spool file's name), so the
 * same batch carries the same token on every replay, even after a restart.
 */
export interface Batch {
  seq: number;
  table: SinkTable;
  rows: number;
  /**
   * JSON formats: one line per row, each ending in `\n`. RowBinary: the rows back to back. A list
   * of buffers is a body in parts, one after another (the span ledger's: views of the OTLP batcher's
   * buffers between its own bytes, otlp-ledger.ts).
   */
  body: Buffer | readonly Buffer[];
  /** Bytes in the body. */
  bytes: number;
  token: string;
  /** Absent: JSONEachRow. */
  format?: RowFormat;
  /**
   * Called once when nothing reads the body any more (delivery's `release`: inserted, spooled or
   * dropped), by a batch whose body holds memory lent by someone else; absent: the body pool's.
   */
  release?: () => void;
}

/** A batch's body as one buffer (a body in parts is copied into one). */
export function bodyBytes(batch: Pick<Batch, 'body'>): Buffer {
  return Buffer.isBuffer(batch.body) ? batch.body : Buffer.concat(batch.body as readonly Buffer[]);
}

/** Characters a token may hold (it becomes part of a spool file's name). */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * A token from the body: what batches spooled before tokens were kept in file names replay with,
 * and what `makeBatch` gives.
 */
export function dedupToken(table: SinkTable, body: Buffer | string): string {
  return `${table}-${createHash('sha256').update(body).digest('hex').slice(0, 40)}`;
}

/**
 * A random id per sink instance (64 bits): with the batch's seq it makes tokens unique across
 * restarts and sidecars (seq starts again at 1 when a sidecar restarts with an empty spool).
 */
export function newRunId(): string {
  return randomBytes(8).toString('hex');
}

export function batchToken(table: SinkTable, runId: string, seq: number): string {
  return `${table}-${runId}-${seq}`;
}

/** A batch of ready lines (tests and tools), its token hashed from the body. */
export function makeBatch(seq: number, table: SinkTable, lines: readonly string[]): Batch {
  const body = Buffer.from(`${lines.join('\n')}\n`);
  return { seq, table, rows: lines.length, body, bytes: body.length, token: dedupToken(table, body) };
}
