import { mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type Batch, bodyBytes, dedupToken, type RowFormat, type SinkTable, SINK_TABLES, TOKEN_PATTERN } from './batch.js';

/**
 * The bounded on-disk spool. One file per batch, written once (temp file, fsync, rename) and
 * never modified: `<seq>.<table>.<rows>.<token>.jsonl` holding the batch's JSONEachRow body (or
 * `<seq>.<table>.<rows>.<token>.compact.jsonl` for a JSONCompactEachRow body, `….<token>.rowbinary`
 * for a RowBinary one), its dedup token in
 * the name, so a replay (even after a restart) carries the token of the first try.
 * Files spooled before tokens were kept in names (`<seq>.<table>.<rows>.jsonl`) still replay: their
 * token is recomputed from the body, as it was made then. Files are replayed in seq order. When a
 * new batch would exceed `maxBytes`, the oldest batches are deleted first and counted in
 * `droppedRows`. Every operation runs through one queue, so reads never race writes.
 */
export interface SpoolEntry {
  seq: number;
  table: SinkTable;
  rows: number;
  bytes: number;
  file: string;
  /** From the file name; undefined for a file of the older format (token hashed from the body). */
  token: string | undefined;
  /** From the file name; absent: JSONEachRow. */
  format?: RowFormat;
}

const NAME = /^(\d{1,15})\.([a-z0-9_]+)\.(\d+)(?:\.([A-Za-z0-9_-]{1,100}))?(\.compact\.jsonl|\.jsonl|\.rowbinary)$/;

/** A spool file's name ending, by the format of the body it holds. */
const SUFFIX: Record<RowFormat, string> = { JSONEachRow: '.jsonl', JSONCompactEachRow: '.compact.jsonl', RowBinary: '.rowbinary' };
const FORMAT_OF = new Map(Object.entries(SUFFIX).map(([format, suffix]) => [suffix, format as RowFormat]));

export class Spool {
  #entries: SpoolEntry[] = [];
  #bytes = 0;
  #rows = 0;
  #dropped = 0;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly maxBytes: number,
    private readonly log: (line: string) => void,
  ) {
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir)) {
      if (name.endsWith('.tmp')) {
        unlinkSync(join(dir, name));
        continue;
      }
      const m = NAME.exec(name);
      if (!m || !SINK_TABLES.includes(m[2] as SinkTable)) continue;
      const file = join(dir, name);
      const entry: SpoolEntry = {
        seq: Number(m[1]),
        table: m[2] as SinkTable,
        rows: Number(m[3]),
        bytes: statSync(file).size,
        file,
        token: m[4],
      };
      const format = FORMAT_OF.get(m[5] as string);
      if (format !== 'JSONEachRow' && format !== undefined) entry.format = format;
      this.#entries.push(entry);
      this.#bytes += entry.bytes;
      this.#rows += entry.rows;
    }
    this.#entries.sort((a, b) => a.seq - b.seq);
  }

  get size(): number {
    return this.#entries.length;
  }
  get bytes(): number {
    return this.#bytes;
  }
  get rows(): number {
    return this.#rows;
  }
  get droppedRows(): number {
    return this.#dropped;
  }
  /** Highest seq on disk (0 if none), so a restarted sink numbers new batches after them. */
  get maxSeq(): number {
    return this.#entries.at(-1)?.seq ?? 0;
  }
  head(): SpoolEntry | undefined {
    return this.#entries[0];
  }

  #queue<T>(op: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(op, op);
    this.#chain = next.catch(() => undefined);
    return next;
  }

  append(batch: Batch): Promise<void> {
    return this.#queue(async () => {
      if (!TOKEN_PATTERN.test(batch.token)) throw new Error(`a ${batch.table} batch has a token unfit for a file name`);
      if (batch.bytes > this.maxBytes) {
        this.#drop(batch.rows, `a ${batch.table} batch of ${batch.bytes} bytes exceeds spool.max_bytes`);
        return;
      }
      while (this.#entries.length > 0 && this.#bytes + batch.bytes > this.maxBytes) {
        const oldest = this.#entries.shift() as SpoolEntry;
        this.#bytes -= oldest.bytes;
        this.#rows -= oldest.rows;
        await unlink(oldest.file).catch(() => undefined);
        this.#drop(oldest.rows, `spool full (${this.maxBytes} bytes): dropped the oldest ${oldest.table} batch`);
      }
      const format = batch.format ?? 'JSONEachRow';
      const name = `${String(batch.seq).padStart(15, '0')}.${batch.table}.${batch.rows}.${batch.token}${SUFFIX[format]}`;
      const file = join(this.dir, name);
      const fh = await open(`${file}.tmp`, 'w');
      try {
        // A body in parts is copied into one here: the spool is the slow path (ClickHouse is away).
        await fh.writeFile(bodyBytes(batch));
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await rename(`${file}.tmp`, file);
      const entry: SpoolEntry = { seq: batch.seq, table: batch.table, rows: batch.rows, bytes: batch.bytes, file, token: batch.token };
      if (format !== 'JSONEachRow') entry.format = format;
      const at = this.#entries.findIndex((e) => e.seq > batch.seq);
      this.#entries.splice(at === -1 ? this.#entries.length : at, 0, entry);
      this.#bytes += entry.bytes;
      this.#rows += entry.rows;
    });
  }

  /** Reads an entry back as a batch (same body, same token). */
  read(entry: SpoolEntry): Promise<Batch> {
    return this.#queue(async () => {
      const body = await readFile(entry.file);
      const { seq, table, rows, format } = entry;
      const batch: Batch = { seq, table, rows, body, bytes: body.length, token: entry.token ?? dedupToken(table, body) };
      if (format !== undefined) batch.format = format;
      return batch;
    });
  }

  /** Deletes an entry that was written to ClickHouse (or moves it aside when `rejectedDir` is set). */
  remove(entry: SpoolEntry, rejectedDir?: string): Promise<void> {
    return this.#queue(async () => {
      const i = this.#entries.indexOf(entry);
      if (i === -1) return;
      this.#entries.splice(i, 1);
      this.#bytes -= entry.bytes;
      this.#rows -= entry.rows;
      if (rejectedDir) {
        mkdirSync(rejectedDir, { recursive: true });
        await rename(entry.file, join(rejectedDir, entry.file.slice(this.dir.length + 1))).catch(() => undefined);
      } else {
        await unlink(entry.file).catch(() => undefined);
      }
    });
  }

  #drop(rows: number, why: string): void {
    this.#dropped += rows;
    this.log(`clickhouse sink: ${why}; ${rows} rows lost (spool_dropped_rows_total=${this.#dropped})`);
  }
}
