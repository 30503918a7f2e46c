import { JsonBytes } from '../../../core/json-bytes.js';

/**
 * The JSON byte writer (core/json-bytes.ts) as the JSONEachRow row writers use it: rows are written
 * straight into it value by value, each value as `JSON.stringify` writes it, so a row written here is
 * byte-identical to the UTF-8 of `JSON.stringify(row)`.
 *
 * A row writer that meets a value of an unexpected type sets `bad`; it then rewinds `pos` to the
 * row's start and writes the row on the plain object → `JSON.stringify` path, so odd input is
 * written exactly as before. `endRow()` ends a row with `\n` and remembers where it ended (the batch
 * writer applies its limits per row). The RowBinary writers (binary-values.ts) use the same cursor.
 */
export class RowBytes extends JsonBytes {
  /** Set by a value writer on a value of an unexpected type. */
  bad = false;
  /** Where each row written since the last `rowEnds.length = 0` ends (after its `\n`). */
  readonly rowEnds: number[] = [];

  /**
   * @param size the first buffer's size
   * @param cap doubling stops here: the buffer grows to at most `cap`, unless a write needs more
   */
  constructor(
    size = 64 * 1024,
    private readonly cap = Number.POSITIVE_INFINITY,
  ) {
    super(Buffer.allocUnsafeSlow(Math.min(size, cap)));
  }

  protected override nextSize(n: number): number {
    return Math.max(this.pos + n, Math.min(this.buf.length * 2, this.cap));
  }

  endRow(): void {
    if (this.pos + 1 > this.buf.length) this.grow(1);
    this.buf[this.pos++] = 10;
    this.rowEnds.push(this.pos);
  }

  /** Ends a RowBinary row: nothing to write (rows have no delimiter), only its end to remember. */
  endBinaryRow(): void {
    this.rowEnds.push(this.pos);
  }
}
