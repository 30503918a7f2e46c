import { MINUS, digitCount, writeDigits } from './decimal-digits.js';
import { NUMBER_TEXT_ROOM, writeNumberText } from './number-text.js';

/**
 * The one JSON byte writer: a cursor that writes JSON straight into a growable byte buffer:
 * constant fragments as bytes encoded once (`utf8`), strings escaped and UTF-8 encoded char by
 * char, integers digit by digit (decimal-digits.ts). No intermediate strings (but for the digits of non-integer
 * numbers), so little for the GC and no rope to flatten and re-encode. Every write makes room for
 * itself (`grow` copies what was written so far). Used by the lean OTLP span encoder
 * (telemetry/lean-otlp/span-bytes.ts adds span times and kept copies) and the ClickHouse row
 * writers (sinks/clickhouse/rows/row-bytes.ts adds row ends and the fallback flag).
 *
 * The bytes of `string(s)` are those of `Buffer.from(JSON.stringify(s))`: `"` `\` and control
 * characters escaped as JSON.stringify escapes them, lone surrogates as `\udxxx`, everything else
 * UTF-8.
 */
export class JsonBytes {
  buf: Buffer;
  pos = 0;

  constructor(buf: Buffer = Buffer.allocUnsafeSlow(4096)) {
    this.buf = buf;
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  /** The size `grow` moves to: double, or what the write needs. */
  protected nextSize(n: number): number {
    return Math.max(this.pos + n, this.buf.length * 2);
  }

  protected grow(n: number): void {
    const grown = Buffer.allocUnsafeSlow(this.nextSize(n));
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

  /** `JSON.stringify(s)` without its quotes (a part of a string value whose quotes are fragments). */
  stringContent(s: string): void {
    if (this.plain(s)) return;
    // The string with its quotes, then the quotes dropped.
    const from = this.pos;
    this.string(s);
    this.buf.copyWithin(from, from + 1, this.pos - 1);
    this.pos -= 2;
  }

  /**
   * Writes `s` and returns true when it is all printable ASCII other than `"` and `\` (what JSON
   * keeps as is, so these are also the bytes of the string's JSON content); otherwise writes
   * nothing and returns false.
   */
  plain(s: string): boolean {
    const n = s.length;
    if (this.pos + n > this.buf.length) this.grow(n);
    const buf = this.buf;
    const p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c === QUOTE || c === BACKSLASH || c >= 0x80) return false;
      buf[p + i] = c;
    }
    this.pos = p + n;
    return true;
  }

  /** Any JS string through the native UTF-8 encoder, from `pos` on (text that is already JSON). */
  native(s: string): void {
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
      // The shortest digits, from toExponential(), recent values remembered (number-text.ts).
      if (this.pos + NUMBER_TEXT_ROOM > this.buf.length) this.grow(NUMBER_TEXT_ROOM);
      this.pos = writeNumberText(this.buf, this.pos, v);
    }
  }

  /** `String(v)` of a number: JSON.stringify's text, but `NaN`, `Infinity`, `-Infinity` as such. */
  numberString(v: number): void {
    if (Number.isFinite(v)) this.number(v);
    else this.raw(`${v}`);
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
