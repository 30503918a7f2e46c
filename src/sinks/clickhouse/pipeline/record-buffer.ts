/**
 * Holds records (CallRecords, spans) as references for a few milliseconds: adding one is O(1) and
 * does no serialization, so the request path only pays for a push. `drainEveryMs` after the first
 * record added since the last drain (a timer), or on the next turn of the event loop once
 * `drainAtRecords` are waiting (`setImmediate`), the records are handed to `onDrain`, which
 * serializes them into the batch writers (a writer submits a batch as soon as it is full); a partly
 * filled batch is sealed (`onSeal`) `maxDelayMs` after the first record added since the last seal,
 * or on `seal()`.
 *
 * Why not drain on every turn: a drain has a fixed cost (the serializers' code and state come back
 * into the CPU's caches, the parked spans' map is made anew), and a streamed call ends in a turn of
 * its own, so per-turn drains paid it for one or two records. Measured inside one saturated sidecar
 * (docs/benchmarks.md, eighth round), draining every 5 ms cut the sink's cost for streamed calls at
 * concurrency 16 from 10.6 to 3.7 µs per call, and left the other cells as they were.
 *
 * Why not hold the records until the batch is sealed: thousands of records (and everything they
 * reference) would then live across several young-generation collections and be copied and promoted
 * each time; drained within milliseconds, they die young and cost the GC next to nothing. The
 * bytes wait in the writers' reused buffers instead.
 */
export interface RecordBufferOptions<T> {
  maxDelayMs: number;
  /** Records wait at most this long before a drain (default 5 ms). */
  drainEveryMs?: number;
  /** This many waiting records drain on the next turn, without waiting for the timer (default 64). */
  drainAtRecords?: number;
  /** Serializes records into the batch writers. */
  onDrain(records: T[]): void;
  /** Submits what the batch writers hold. */
  onSeal(): void;
}

export const DRAIN_EVERY_MS = 5;
export const DRAIN_AT_RECORDS = 64;

export class RecordBuffer<T> {
  #records: T[] = [];
  #timer: NodeJS.Timeout | null = null;
  #immediate: NodeJS.Immediate | null = null;
  #drainTimer: NodeJS.Timeout | null = null;
  readonly #drainEveryMs: number;
  readonly #drainAtRecords: number;
  readonly #drainSoon = () => {
    this.#immediate = null;
    this.drain();
  };
  readonly #drainLater = () => {
    this.#drainTimer = null;
    this.drain();
  };
  readonly #sealSoon = () => {
    this.#timer = null;
    this.seal();
  };

  constructor(private readonly opts: RecordBufferOptions<T>) {
    this.#drainEveryMs = opts.drainEveryMs ?? DRAIN_EVERY_MS;
    this.#drainAtRecords = opts.drainAtRecords ?? DRAIN_AT_RECORDS;
  }

  /** Records not drained yet. */
  get rows(): number {
    return this.#records.length;
  }

  add(record: T): void {
    const waiting = this.#records.push(record);
    if (waiting >= this.#drainAtRecords) {
      if (this.#immediate === null) this.#immediate = setImmediate(this.#drainSoon);
    } else if (this.#drainTimer === null) {
      this.#drainTimer = setTimeout(this.#drainLater, this.#drainEveryMs);
      this.#drainTimer.unref();
    }
    if (this.#timer === null) {
      this.#timer = setTimeout(this.#sealSoon, this.opts.maxDelayMs);
      this.#timer.unref();
    }
  }

  /** Serializes what is held now (the batch writers keep the rows until full or sealed). */
  drain(): void {
    if (this.#immediate !== null) {
      clearImmediate(this.#immediate);
      this.#immediate = null;
    }
    if (this.#drainTimer !== null) {
      clearTimeout(this.#drainTimer);
      this.#drainTimer = null;
    }
    if (this.#records.length === 0) return;
    const records = this.#records;
    this.#records = [];
    this.opts.onDrain(records);
  }

  /** Drains, then submits every partly filled batch. */
  seal(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    this.drain();
    this.opts.onSeal();
  }
}
