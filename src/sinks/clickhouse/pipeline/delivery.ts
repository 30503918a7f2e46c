import { join } from 'node:path';
import type { Batch } from './batch.js';
import type { Spool, SpoolEntry } from './spool.js';

/**
 * Delivers sealed batches to ClickHouse, one insert at a time, oldest `seq` first across memory
 * and the spool, so the spool replays in order and new batches never overtake spooled ones.
 * - An insert that fails sends its batch to the spool and puts delivery in back-off
 *   (0.5 s doubling to 30 s). While backing off, in-memory batches go to the spool too.
 * - More than `maxPendingBatches` in memory (ClickHouse slow) spill the newest to the spool.
 * - A spooled batch that ClickHouse rejects as bad data 3 times in a row moves to
 *   `<spool>/rejected/` (logged and counted) so it cannot block the rest forever.
 * - When it is done with a batch from `submit` (inserted, or written to the spool, or lost), and
 *   only then, it calls `release` once: the insert has settled and the spool file is written, so
 *   nothing reads the body any more (the body pool reuses its memory).
 */
export interface DeliveryOptions {
  spool: Spool;
  insert(batch: Batch): Promise<void>;
  maxPendingBatches: number;
  log(line: string): void;
  release?(batch: Batch): void;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

// Errors that mean "this data will never insert": parse, type and format errors. Anything else
// (network, timeouts, missing table, too many parts, auth) is retried until it works.
const BAD_DATA_CODES = new Set(['6', '26', '27', '38', '41', '53', '69', '70', '72', '73', '117', '130', '131']);
const MAX_BAD_DATA_TRIES = 3;

type Waiter = { ready: () => boolean; resolve: () => void };

export class Delivery {
  #pending: Batch[] = [];
  /** The batch whose insert is under way (out of `#pending`, not yet inserted or spooled). */
  #sending: Batch | null = null;
  #spilling = 0;
  #failing = false;
  #backoffMs: number;
  #retryAt = 0;
  /** Inserts that have settled (succeeded or failed): flush counts the ones that end after it was called. */
  #attemptsEnded = 0;
  #headBadData = 0;
  #stopped = false;
  #wake: (() => void) | null = null;
  #waiters: Waiter[] = [];
  #loop: Promise<void>;
  lastError: string | null = null;
  lastErrorAt: string | null = null;
  rejectedRows = 0;

  constructor(private readonly opts: DeliveryOptions) {
    this.#backoffMs = opts.initialBackoffMs ?? 500;
    this.#loop = this.#run();
  }

  /** Rows in memory: waiting, and in the insert under way. */
  get pendingRows(): number {
    return this.#pending.reduce((n, b) => n + b.rows, this.#sending?.rows ?? 0);
  }
  get failing(): boolean {
    return this.#failing;
  }

  submit(batch: Batch): void {
    if (this.#pending.length >= this.opts.maxPendingBatches || this.#stopped) {
      this.#spill(batch);
      return;
    }
    this.#pending.push(batch);
    this.#poke();
  }

  /**
   * Resolves when memory is empty (every batch written or spooled, including one whose insert was
   * under way when flush was called) and the spool was drained, or an insert failed after the call
   * (ClickHouse is down: the rest waits in the spool).
   */
  async flush(): Promise<void> {
    const mark = this.#attemptsEnded;
    this.#retryAt = 0;
    this.#poke();
    await this.#until(
      () =>
        this.#pending.length === 0 &&
        this.#sending === null &&
        this.#spilling === 0 &&
        (this.opts.spool.size === 0 || (this.#failing && this.#attemptsEnded > mark)),
    );
  }

  /** Tries to write what is in memory within `deadlineMs`, spools the rest, stops the loop. */
  async close(deadlineMs: number): Promise<void> {
    const timer = new Promise<void>((r) => setTimeout(r, deadlineMs).unref());
    await Promise.race([this.flush(), timer]);
    this.#stopped = true;
    this.#poke();
    await this.#loop;
    for (const b of this.#pending.splice(0)) this.#spill(b);
    await this.#until(() => this.#spilling === 0);
  }

  #spill(batch: Batch): void {
    this.#spilling++;
    this.opts.spool
      .append(batch)
      .catch((err: unknown) => this.opts.log(`clickhouse sink: cannot spool a ${batch.table} batch: ${(err as Error).message}`))
      .finally(() => {
        this.opts.release?.(batch);
        this.#spilling--;
        // The loop may have gone to sleep before this file existed: wake it to send the spool.
        this.#poke();
        this.#notify();
      });
  }

  #poke(): void {
    this.#wake?.();
  }

  #until(ready: () => boolean): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ ready, resolve }));
  }

  #notify(): void {
    const waiting: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.ready()) w.resolve();
      else waiting.push(w);
    }
    this.#waiters = waiting;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = Number.isFinite(ms) ? setTimeout(() => done(), Math.max(0, ms)) : null;
      const done = () => {
        if (t) clearTimeout(t);
        this.#wake = null;
        resolve();
      };
      this.#wake = done;
    });
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const head = this.opts.spool.head();
      const mem = this.#pending[0];
      if (!head && !mem) {
        this.#notify();
        await this.#sleep(Number.POSITIVE_INFINITY);
        continue;
      }
      if (this.#failing && Date.now() < this.#retryAt) {
        for (const b of this.#pending.splice(0)) this.#spill(b);
        this.#notify();
        await this.#sleep(this.#retryAt - Date.now());
        continue;
      }
      if (mem && (!head || mem.seq < head.seq)) await this.#sendPending();
      else if (head) await this.#sendSpooled(head);
      this.#notify();
    }
  }

  async #sendPending(): Promise<void> {
    const batch = this.#pending.shift() as Batch;
    this.#sending = batch;
    try {
      await this.#attempt(batch);
    } catch {
      this.#spill(batch);
      return;
    } finally {
      this.#sending = null;
    }
    this.opts.release?.(batch);
  }

  async #sendSpooled(entry: SpoolEntry): Promise<void> {
    let batch: Batch;
    try {
      batch = await this.opts.spool.read(entry);
    } catch (err) {
      this.opts.log(`clickhouse sink: cannot read spool file ${entry.file}, skipping it: ${(err as Error).message}`);
      await this.opts.spool.remove(entry);
      return;
    }
    try {
      await this.#attempt(batch);
      this.#headBadData = 0;
      await this.opts.spool.remove(entry);
    } catch (err) {
      const code = String((err as { code?: unknown }).code ?? '');
      this.#headBadData = BAD_DATA_CODES.has(code) ? this.#headBadData + 1 : 0;
      if (this.#headBadData >= MAX_BAD_DATA_TRIES) {
        this.#headBadData = 0;
        this.rejectedRows += entry.rows;
        const dir = join(this.opts.spool.dir, 'rejected');
        await this.opts.spool.remove(entry, dir);
        this.opts.log(`clickhouse sink: ClickHouse rejected a ${entry.table} batch ${MAX_BAD_DATA_TRIES} times; moved it to ${dir}`);
      }
    }
  }

  async #attempt(batch: Batch): Promise<void> {
    try {
      await this.opts.insert(batch);
    } catch (err) {
      this.#attemptsEnded++;
      const message = (err as Error).message ?? String(err);
      if (!this.#failing || message !== this.lastError) {
        this.opts.log(`clickhouse sink: insert into ${batch.table} failed, spooling: ${message}`);
      }
      this.lastError = message;
      this.lastErrorAt = new Date().toISOString();
      this.#failing = true;
      this.#retryAt = Date.now() + this.#backoffMs;
      this.#backoffMs = Math.min(this.#backoffMs * 2, this.opts.maxBackoffMs ?? 30_000);
      throw err;
    }
    this.#attemptsEnded++;
    if (this.#failing) this.opts.log('clickhouse sink: ClickHouse is writable again; replaying the spool');
    this.#failing = false;
    this.#backoffMs = this.opts.initialBackoffMs ?? 500;
  }
}
