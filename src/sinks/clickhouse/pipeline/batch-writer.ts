import { RowBytes } from '../rows/row-bytes.js';
import { type Batch, type RowFormat, type SinkTable, batchToken } from './batch.js';
import { type BodyPool, POOLED_MIN } from './body-pool.js';

/** Room past maxBytes for the row that crosses it (a larger row still grows the buffer). */
export const ROW_HEADROOM = 256 * 1024;

export interface BatchWriterOptions {
  table: SinkTable;
  limits: { maxRows: number; maxBytes: number };
  nextSeq: () => number;
  /** The sink's run id (see `newRunId`): tokens are `<table>-<runId>-<seq>`. */
  runId: string;
  submit: (batch: Batch) => void;
  /** Where bodies come from (delivery gives them back). */
  bodies: BodyPool;
  /** The rows' format (default JSONEachRow); every batch carries it. */
  format?: RowFormat;
}

/**
 * Rows of one table, written straight into a reused byte buffer (`out`) by the row writers, one
 * record at a time: `begin()`, the record's rows, then `commit()`, or `rollback()` when the record
 * cannot be serialized (its rows vanish whole; nothing of it was submitted). On commit the limits
 * apply row by row: a batch is submitted whenever it holds `maxRows` rows, or before a row that
 * would take it past `maxBytes` (a single larger row still makes its own batch), and on `flush()`.
 * JSON bodies are byte for byte `lines.join('\n') + '\n'` of the rows (RowBinary ones, the rows back
 * to back); the buffer (`maxBytes` plus
 * ROW_HEADROOM, or one record more when a record is larger) becomes the body or is reused.
 */
export class BatchWriter {
  readonly out: RowBytes;
  #rows = 0;
  #mark = 0;

  constructor(private readonly opts: BatchWriterOptions) {
    // The buffer settles at maxBytes + ROW_HEADROOM: the row that crosses maxBytes fits without
    // doubling it, and the full body is then the buffer itself, handed over without a copy.
    this.out = new RowBytes(64 * 1024, opts.limits.maxBytes + ROW_HEADROOM);
  }

  /** Rows committed and not submitted yet. */
  get rows(): number {
    return this.#rows;
  }

  /** Starts a record. */
  begin(): void {
    this.#mark = this.out.pos;
    this.out.rowEnds.length = 0;
  }

  /** Drops what was written since `begin()`. */
  rollback(): void {
    this.out.pos = this.#mark;
    this.out.rowEnds.length = 0;
  }

  /** Counts the rows written since `begin()`, submitting batches as the limits say. */
  commit(): void {
    const ends = this.out.rowEnds;
    const { maxRows, maxBytes } = this.opts.limits;
    // Row positions were taken before any batch of this commit was submitted: `shift` is what has
    // been submitted (and moved out of the buffer) since.
    let shift = 0;
    let start = this.#mark;
    for (let i = 0; i < ends.length; i++) {
      const end = ends[i] as number;
      if (this.#rows > 0 && end - shift > maxBytes) {
        this.#emit(start - shift);
        shift = start;
      }
      if (++this.#rows >= maxRows) {
        this.#emit(end - shift);
        shift = end;
      }
      start = end;
    }
    ends.length = 0;
  }

  /** Add one ready line (JSON without its `\n`) as a record. */
  add(line: string): void {
    this.begin();
    this.out.native(line);
    this.out.endRow();
    this.commit();
  }

  flush(): void {
    if (this.#rows > 0) this.#emit(this.out.pos);
  }

  /**
   * Submits the first `bytes` of the buffer (the committed rows before it) and moves the rest down.
   * A large body that fills at least half the buffer is the buffer itself, handed over (the rows
   * after it go to a new buffer from the pool); a smaller one is copied into pool memory.
   */
  #emit(bytes: number): void {
    const out = this.out;
    const bodies = this.opts.bodies;
    let body: Buffer;
    if (bytes >= POOLED_MIN && bytes * 2 >= out.buf.length) {
      body = out.buf.subarray(0, bytes);
      const next = bodies.take(out.buf.length);
      out.buf.copy(next, 0, bytes, out.pos);
      out.buf = next;
    } else {
      body = bodies.take(bytes);
      out.buf.copy(body, 0, 0, bytes);
      if (out.pos > bytes) out.buf.copyWithin(0, bytes, out.pos);
    }
    out.pos -= bytes;
    const seq = this.opts.nextSeq();
    const { table, format } = this.opts;
    const batch: Batch = { seq, table, rows: this.#rows, body, bytes, token: batchToken(table, this.opts.runId, seq) };
    if (format !== undefined && format !== 'JSONEachRow') batch.format = format;
    this.opts.submit(batch);
    this.#rows = 0;
  }
}
