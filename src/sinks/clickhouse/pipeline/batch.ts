import { createHash, randomBytes } from 'node:crypto';

/** Tables the sink writes. */
export type SinkTable = 'ai_calls' | 'ai_attempts' | 'otel_traces';
export const SINK_TABLES: readonly SinkTable[] = ['ai_calls', 'ai_attempts', 'otel_traces'];

/**
 * A sealed, immutable batch: JSONEachRow lines for one table. `seq` orders batches across tables
 * and restarts (the spool names files by it). `token` is the batch's insert_deduplication_token:
 * fixed when the batch is sealed and kept with it (in memory, and in its spool file's name), so the
 * same batch carries the same token on every replay, even after a restart.
 */
export interface Batch {
  seq: number;
  table: SinkTable;
  rows: number;
  /** JSONEachRow, one line per row, each ending in `\n`. */
  body: Buffer;
  bytes: number;
  token: string;
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

/**
 * Writes serialized rows of one table straight into a reused byte buffer (no per-batch array of
 * lines, no joined string: the rows become bytes as they are made) and submits a batch whenever
 * it holds `maxRows` rows, or the next row would take it past `maxBytes` (a single larger row still
 * makes its own batch), and on `flush()`. The body is copied out, so the scratch buffer (at most
 * `maxBytes` plus one row) is reused. Bodies are byte for byte `lines.join('\n') + '\n'`.
 */
export class BatchWriter {
  #buf: Buffer = Buffer.allocUnsafeSlow(64 * 1024);
  #len = 0;
  #rows = 0;

  constructor(
    private readonly table: SinkTable,
    private readonly limits: { maxRows: number; maxBytes: number },
    private readonly nextSeq: () => number,
    /** The sink's run id (see `newRunId`): tokens are `<table>-<runId>-<seq>`. */
    private readonly runId: string,
    private readonly submit: (batch: Batch) => void,
  ) {}

  /** Rows written and not submitted yet. */
  get rows(): number {
    return this.#rows;
  }

  add(line: string): void {
    const start = this.#len;
    const need = start + line.length * 3 + 1;
    if (need > this.#buf.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(need, this.#buf.length * 2));
      this.#buf.copy(grown, 0, 0, start);
      this.#buf = grown;
    }
    let end = start + this.#buf.write(line, start, 'utf8');
    this.#buf[end++] = 10;
    if (this.#rows > 0 && end > this.limits.maxBytes) {
      this.#emit(start);
      this.#buf.copyWithin(0, start, end);
      end -= start;
    }
    this.#len = end;
    if (++this.#rows >= this.limits.maxRows) this.flush();
  }

  flush(): void {
    if (this.#rows > 0) this.#emit(this.#len);
  }

  #emit(bytes: number): void {
    const body = Buffer.allocUnsafeSlow(bytes);
    this.#buf.copy(body, 0, 0, bytes);
    const seq = this.nextSeq();
    this.submit({ seq, table: this.table, rows: this.#rows, body, bytes, token: batchToken(this.table, this.runId, seq) });
    this.#rows = 0;
    this.#len = 0;
  }
}
