import { writeNumberText } from './number-text.js';

/**
 * A growable byte buffer that JSONEachRow rows are written straight into, value by value: constant
 * fragments (keys, punctuation) are encoded once and copied, ASCII strings and numbers are written
 * byte by byte, and only a string with a character JSON escapes or a non-ASCII character goes
 * through `JSON.stringify` and a UTF-8 encode. Every writer produces exactly the bytes of
 * `JSON.stringify` for the same value, so a row written here is byte-identical to the UTF-8 of
 * `JSON.stringify(row)`.
 *
 * A row writer that meets a value of an unexpected type sets `bad`; it then rewinds `pos` to the
 * row's start and writes the row on the plain object → `JSON.stringify` path, so odd input is
 * written exactly as before. `endRow()` ends a row with `\n` and remembers where it ended (the batch
 * writer applies its limits per row).
 */
export class RowBytes {
  buf: Buffer;
  pos = 0;
  /** Set by a value writer on a value of an unexpected type. */
  bad = false;
  /** Where each row written since the last `rowEnds.length = 0` ends (after its `\n`). */
  readonly rowEnds: number[] = [];

  constructor(size = 64 * 1024) {
    this.buf = Buffer.allocUnsafeSlow(size);
  }

  /** Room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.#grow(this.pos + n);
  }

  #grow(need: number): void {
    const grown = Buffer.allocUnsafeSlow(Math.max(need, this.buf.length * 2));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  endRow(): void {
    this.ensure(1);
    this.buf[this.pos++] = 10;
    this.rowEnds.push(this.pos);
  }

  /** A constant fragment (see `frag`). One memcpy: cheaper here than a loop even for a few bytes. */
  raw(f: Uint8Array): void {
    const n = f.length;
    if (this.pos + n > this.buf.length) this.#grow(this.pos + n);
    this.buf.set(f, this.pos);
    this.pos += n;
  }

  byte(c: number): void {
    if (this.pos >= this.buf.length) this.#grow(this.pos + 1);
    this.buf[this.pos++] = c;
  }

  /** A string known to be printable ASCII without `"` or `\` (formatted numbers and dates). */
  ascii(s: string): void {
    const n = s.length;
    if (this.pos + n > this.buf.length) this.#grow(this.pos + n);
    const buf = this.buf;
    const p = this.pos;
    for (let i = 0; i < n; i++) buf[p + i] = s.charCodeAt(i);
    this.pos = p + n;
  }

  /** Text that is already JSON (a whole fallback row): UTF-8 encoded. */
  text(s: string): void {
    this.ensure(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** `JSON.stringify(s)`. */
  str(s: string): void {
    this.byte(34);
    if (!this.plain(s)) {
      this.pos--;
      this.text(JSON.stringify(s));
      return;
    }
    this.byte(34);
  }

  /** `JSON.stringify(s)` without its quotes (a part of a string value). */
  strContent(s: string): void {
    if (this.plain(s)) return;
    const q = JSON.stringify(s);
    this.text(q.slice(1, q.length - 1));
  }

  /**
   * Writes `s` and returns true when it is all printable ASCII other than `"` and `\` (what JSON
   * keeps as is); otherwise writes nothing and returns false.
   */
  plain(s: string): boolean {
    const n = s.length;
    if (this.pos + n > this.buf.length) this.#grow(this.pos + n);
    const buf = this.buf;
    const p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 32 || c === 34 || c === 92 || c > 127) return false;
      buf[p + i] = c;
    }
    this.pos = p + n;
    return true;
  }

  /** `JSON.stringify(v)` of a number: non-finite numbers are `null`. */
  num(v: number): void {
    if (v >= 0 && v <= MAX_DIGITS_FAST && Math.floor(v) === v) this.#digits(v);
    else if (Number.isFinite(v)) writeNumberText(this, v);
    else this.ascii('null');
  }

  /** `String(v)` of a number (an attribute value in a Map(String, String)). */
  numString(v: number): void {
    if (v >= 0 && v <= MAX_DIGITS_FAST && Math.floor(v) === v) this.#digits(v);
    else if (Number.isFinite(v)) writeNumberText(this, v);
    else this.ascii(`${v}`);
  }

  /** A non-negative integer below 2^53; `-0` is `0`, as in JSON.stringify. */
  #digits(v: number): void {
    let len = 1;
    for (let q = v; q >= 10; q = (q - (q % 10)) / 10) len++;
    if (this.pos + len > this.buf.length) this.#grow(this.pos + len);
    const buf = this.buf;
    let p = this.pos + len;
    this.pos = p;
    let q = v;
    do {
      const d = q % 10;
      buf[--p] = 48 + d;
      q = (q - d) / 10;
    } while (q > 0);
  }

  /** The bytes written, as a string (tests and the string-returning wrappers). */
  toString(): string {
    return this.buf.toString('utf8', 0, this.pos);
  }
}

// Integers up to here print as plain digits (`${v}` switches to exponents at 1e21).
const MAX_DIGITS_FAST = Number.MAX_SAFE_INTEGER;

/** A constant fragment of a row, encoded once. */
export function frag(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'utf8'));
}
