import { JsonBytes } from '../../core/json-bytes.js';
import { digitCount, writeDigits, writeThree } from '../../core/decimal-digits.js';

/**
 * The JSON byte writer (core/json-bytes.ts) as the lean OTLP encoder uses it: one cursor moved from
 * batch buffer to batch buffer (`reset`), span times written as nanoseconds with the seconds'
 * digits kept, and copies of written bytes to keep.
 */
export class SpanBytes extends JsonBytes {
  private lastSeconds = -1;
  private lastSecondsDigits: Uint8Array = new Uint8Array(0);

  /** Writes into `buf` from `pos` on (reusing this cursor for another buffer). */
  reset(buf: Buffer, pos: number): void {
    this.buf = buf;
    this.pos = pos;
  }

  /**
   * Nanoseconds since the epoch, `seconds * 1e9 + nanos` in decimal, for the HrTime values
   * millisToHrTime gives (integers, `0 <= seconds`, `0 <= nanos < 1e9`); for anything else it
   * writes nothing and returns false.
   */
  nanos(seconds: number, nanos: number): boolean {
    if (!(Number.isSafeInteger(seconds) && seconds >= 0 && Number.isInteger(nanos) && nanos >= 0 && nanos < 1e9)) return false;
    if (this.pos + 26 > this.buf.length) this.grow(26);
    const buf = this.buf;
    let p = this.pos;
    if (seconds === 0) {
      this.pos = writeDigits(buf, p, nanos, digitCount(nanos));
      return true;
    }
    // The seconds change once a second: their digits are kept.
    if (seconds !== this.lastSeconds) {
      this.lastSeconds = seconds;
      const width = digitCount(seconds);
      writeDigits(buf, p, seconds, width);
      this.lastSecondsDigits = this.copy(p, p + width);
    }
    const digits = this.lastSecondsDigits;
    for (let i = 0; i < digits.length; i++) buf[p++] = digits[i] as number;
    // Nine digits, three at a time.
    const high = Math.floor(nanos / 1e6);
    const rest = nanos - high * 1e6;
    const mid = Math.floor(rest / 1000);
    p = writeThree(buf, p, high);
    p = writeThree(buf, p, mid);
    this.pos = writeThree(buf, p, rest - mid * 1000);
    return true;
  }

  /**
   * A copy of the bytes written at [from, to), to keep (Buffer#slice would share the memory, which
   * the batch buffer's next use overwrites).
   */
  copy(from: number, to: number): Uint8Array {
    const out = new Uint8Array(to - from);
    out.set(this.buf.subarray(from, to));
    return out;
  }
}
