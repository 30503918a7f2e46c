import type { SinkTable } from './batch.js';

/**
 * Collects serialized rows for one table and hands them on when `maxRows` or `maxBytes` is
 * reached, or `maxDelayMs` after the first row. Memory held here is bounded by those limits.
 */
export interface TableBufferOptions {
  table: SinkTable;
  maxRows: number;
  maxBytes: number;
  maxDelayMs: number;
  onSeal(table: SinkTable, lines: string[]): void;
}

export class TableBuffer {
  #lines: string[] = [];
  #bytes = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: TableBufferOptions) {}

  get rows(): number {
    return this.#lines.length;
  }

  add(line: string): void {
    const size = Buffer.byteLength(line) + 1;
    if (this.#lines.length > 0 && this.#bytes + size > this.opts.maxBytes) this.seal();
    this.#lines.push(line);
    this.#bytes += size;
    if (this.#lines.length >= this.opts.maxRows || this.#bytes >= this.opts.maxBytes) {
      this.seal();
    } else if (this.#timer === null) {
      this.#timer = setTimeout(() => this.seal(), this.opts.maxDelayMs);
      this.#timer.unref();
    }
  }

  seal(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#lines.length === 0) return;
    const lines = this.#lines;
    this.#lines = [];
    this.#bytes = 0;
    this.opts.onSeal(this.opts.table, lines);
  }
}
