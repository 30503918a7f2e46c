import { MINUS, digitCount, writeDigits, writeExponentialAsString, writeThree } from './decimal-digits.js';

/**
 * A cursor that writes JSON straight into a growable byte buffer: constant fragments as bytes
 * encoded once, strings escaped and UTF-8 encoded char by char, integers and nanosecond times
 * digit by digit (decimal-digits.ts). No intermediate strings (but for the digits of non-integer
 * numbers), so little for the GC and no rope to flatten and re-encode. Every write makes room for
 * itself (`grow` copies what was written so far).
 *
 * The bytes of `string(s)` are those of `Buffer.from(JSON.stringify(s))`: `"` `\` and control
 * characters escaped as JSON.stringify escapes them, lone surrogates as `\udxxx`, everything else
 * UTF-8.
 */
export class JsonBytes {
  buf: Buffer;
  pos = 0;
  private lastNumber = Number.NaN;
  private lastSeconds = -1;
  private lastSecondsDigits: Uint8Array = new Uint8Array(0);
  private lastExponential = '';

  constructor(buf: Buffer = Buffer.allocUnsafeSlow(4096)) {
    this.buf = buf;
  }

  /** Writes into `buf` from `pos` on (reusing this cursor for another buffer). */
  reset(buf: Buffer, pos: number): void {
    this.buf = buf;
    this.pos = pos;
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    const grown = Buffer.allocUnsafeSlow(Math.max(this.pos + n, this.buf.length * 2));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** Copies a constant fragment (see `utf8`). */
  bytes(b: Uint8Array): void {
    const n = b.length;
    if (this.pos + n > this.buf.length) this.grow(n);
    // Short fragments: a loop beats the call into TypedArray#set; longer ones: the other way round.
    if (n < 16) {
      const buf = this.buf;
      let p = this.pos;
      for (let i = 0; i < n; i++) buf[p++] = b[i] as number;
      this.pos = p;
    } else {
      this.buf.set(b, this.pos);
      this.pos += n;
    }
  }

  /** One ASCII byte. */
  byte(c: number): void {
    if (this.pos + 1 > this.buf.length) this.grow(1);
    this.buf[this.pos++] = c;
  }

  /**
   * A string as it is, unescaped, UTF-8 (what a template literal puts in the JSON): for text known
   * to need no escaping, such as number text and hex ids.
   */
  raw(s: string): void {
    const n = s.length;
    if (this.pos + n > this.buf.length) this.grow(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.native(s);
        return;
      }
      buf[p++] = c;
    }
    this.pos = p;
  }

  /** A JSON string, quotes included: the bytes of `Buffer.from(JSON.stringify(s))`. */
  string(s: string): void {
    const n = s.length;
    if (n > LONG_STRING) {
      this.native(JSON.stringify(s));
      return;
    }
    // Worst case 6 bytes per UTF-16 unit (`\u001f`, `\udxxx`), plus the quotes.
    if (this.pos + 6 * n + 2 > this.buf.length) this.grow(6 * n + 2);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = QUOTE;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) {
        if (c >= 0x20 && c !== QUOTE && c !== BACKSLASH) buf[p++] = c;
        else p = escapeAscii(buf, p, c);
      } else if (c < 0x800) {
        buf[p++] = 0xc0 | (c >> 6);
        buf[p++] = 0x80 | (c & 0x3f);
      } else if (c < 0xd800 || c > 0xdfff) {
        buf[p++] = 0xe0 | (c >> 12);
        buf[p++] = 0x80 | ((c >> 6) & 0x3f);
        buf[p++] = 0x80 | (c & 0x3f);
      } else {
        const d = c <= 0xdbff && i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (d >= 0xdc00 && d <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          buf[p++] = 0xf0 | (cp >> 18);
          buf[p++] = 0x80 | ((cp >> 12) & 0x3f);
          buf[p++] = 0x80 | ((cp >> 6) & 0x3f);
          buf[p++] = 0x80 | (cp & 0x3f);
          i++;
        } else p = unicodeEscape(buf, p, c); // a lone surrogate
      }
    }
    buf[p++] = QUOTE;
    this.pos = p;
  }

  /** Any JS string through the native UTF-8 encoder, from `pos` on. */
  private native(s: string): void {
    this.ensure(3 * s.length);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** An integer as JSON.stringify writes it. */
  int(v: number): void {
    if (!Number.isSafeInteger(v)) {
      this.raw(String(v));
      return;
    }
    if (this.pos + 17 > this.buf.length) this.grow(17);
    const buf = this.buf;
    let p = this.pos;
    let n = v;
    if (n < 0) {
      buf[p++] = MINUS;
      n = -n;
    }
    this.pos = writeDigits(buf, p, n, digitCount(n));
  }

  /** A number as JSON.stringify writes it (NaN and ±Infinity as `null`). */
  number(v: number): void {
    if (Number.isSafeInteger(v)) this.int(v);
    else if (!Number.isFinite(v)) this.raw('null');
    else {
      // The shortest digits that give v back, from toExponential(): the same digits String(v)
      // gives (V8 computes both with DTOA_SHORTEST), without going through V8's number-string
      // cache, which keeps each new string alive into the old generation. The last value is
      // remembered: a call's cost is written on both of its spans.
      if (v !== this.lastNumber) {
        this.lastNumber = v;
        this.lastExponential = v.toExponential();
      }
      const e = this.lastExponential;
      if (this.pos + e.length + 25 > this.buf.length) this.grow(e.length + 25);
      this.pos = writeExponentialAsString(this.buf, this.pos, e);
    }
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

  /** The bytes written so far, as a string (tests, the string wrappers). */
  text(from = 0): string {
    return this.buf.toString('utf8', from, this.pos);
  }
}

/** Longer strings go through JSON.stringify and the native encoder. */
const LONG_STRING = 512;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const HEX = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102];

/** `"…"` as UTF-8 bytes, for the constant fragments of the encoders. */
export function utf8(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'utf8'));
}

/** JSON.stringify's escapes for the ASCII characters that need one. */
function escapeAscii(buf: Buffer, p: number, c: number): number {
  buf[p++] = BACKSLASH;
  switch (c) {
    case QUOTE:
      buf[p++] = QUOTE;
      return p;
    case BACKSLASH:
      buf[p++] = BACKSLASH;
      return p;
    case 0x08:
      buf[p++] = 0x62; // b
      return p;
    case 0x09:
      buf[p++] = 0x74; // t
      return p;
    case 0x0a:
      buf[p++] = 0x6e; // n
      return p;
    case 0x0c:
      buf[p++] = 0x66; // f
      return p;
    case 0x0d:
      buf[p++] = 0x72; // r
      return p;
    default:
      return unicodeEscape(buf, p - 1, c);
  }
}

/** `\uxxxx`, lowercase hex, as JSON.stringify writes control characters and lone surrogates. */
function unicodeEscape(buf: Buffer, p: number, c: number): number {
  buf[p++] = BACKSLASH;
  buf[p++] = 0x75; // u
  buf[p++] = HEX[(c >> 12) & 15] as number;
  buf[p++] = HEX[(c >> 8) & 15] as number;
  buf[p++] = HEX[(c >> 4) & 15] as number;
  buf[p++] = HEX[c & 15] as number;
  return p;
}
