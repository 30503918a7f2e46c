/**
 * Holds records (CallRecords, spans) as references for at most one turn of the event loop: adding
 * one is O(1) and does no serialization, so the request path only pays for a push. On the next
 * turn (`setImmediate`) the records are handed to `onDrain`, which serializes them into the batch
 * writers (a writer submits a batch as soon as it is full); a partly filled batch is sealed
 * (`onSeal`) `maxDelayMs` after the first record added since the last seal, or on `seal()`.
 *
 * Why not hold the records until the batch is sealed: thousands of records (and everything they
 * reference) would then live across several young-generation collections and be copied and promoted
 * each time; drained every turn, they die young and cost the GC next to nothing. The bytes wait in
 * the writers' reused buffers instead.
 */
export interface RecordBufferOptions<T> {
  maxDelayMs: number;
  /** Serializes records into the batch writers. */
  onDrain(records: T[]): void;
  /** Submits what the batch writers hold. */
  onSeal(): void;
}

export class RecordBuffer<T> {
  #records: T[] = [];
  #timer: NodeJS.Timeout | null = null;
  #immediate: NodeJS.Immediate | null = null;
  readonly #drainSoon = () => {
    this.#immediate = null;
    this.drain();
  };
  readonly #sealSoon = () => {
    this.#timer = null;
    this.seal();
  };

  constructor(private readonly opts: RecordBufferOptions<T>) {}

  /** Records not drained yet. */
  get rows(): number {
    return this.#records.length;
  }

  add(record: T): void {
    this.#records.push(record);
    if (this.#immediate === null) this.#immediate = setImmediate(this.#drainSoon);
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
