/**
 * Holds records (CallRecords, spans) as references until their batch is sealed: adding one is O(1)
 * and does no serialization, so the request path only pays for a push. A batch is sealed when it
 * holds `maxRows` rows for one of its tables (on the next turn of the event loop, or at once when
 * it reaches twice that), or `maxDelayMs` after its first record, or on flush. Memory is bounded by
 * the number of records held: at most 2 × `maxRows`.
 */
export interface RecordBufferOptions<T> {
  maxRows: number;
  maxDelayMs: number;
  onSeal(records: T[]): void;
}

export class RecordBuffer<T> {
  #records: T[] = [];
  /** Rows the records make in their second table (ai_attempts for calls), if any. */
  #childRows = 0;
  #timer: NodeJS.Timeout | null = null;
  #immediate: NodeJS.Immediate | null = null;

  constructor(private readonly opts: RecordBufferOptions<T>) {}

  /** Rows held, across the tables the records make. */
  get rows(): number {
    return this.#records.length + this.#childRows;
  }

  add(record: T, childRows = 0): void {
    const n = this.#records.push(record);
    this.#childRows += childRows;
    const full = n > this.#childRows ? n : this.#childRows;
    if (full >= this.opts.maxRows) {
      if (full >= 2 * this.opts.maxRows) this.seal();
      else if (this.#immediate === null) this.#immediate = setImmediate(() => this.seal());
    } else if (this.#timer === null) {
      this.#timer = setTimeout(() => this.seal(), this.opts.maxDelayMs);
      this.#timer.unref();
    }
  }

  seal(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    if (this.#immediate !== null) clearImmediate(this.#immediate);
    this.#timer = null;
    this.#immediate = null;
    if (this.#records.length === 0) return;
    const records = this.#records;
    this.#records = [];
    this.#childRows = 0;
    this.opts.onSeal(records);
  }
}
