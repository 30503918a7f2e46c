import type { RowBytes } from './row-bytes.js';

/**
 * `String(v)` of a finite number, written straight into row bytes. Turning a double with a long
 * fraction (a latency, a cost) into its shortest text is the dearest step of a row, so:
 * - the digits come from `toExponential()`, the same shortest digits String(v) gives (V8 computes
 *   both with DTOA_SHORTEST), placed as Number::toString places them. String(v) would also put each
 *   new string into V8's number-string cache, which keeps it alive into the old generation.
 * - the text of recent values is remembered as bytes (no strings kept): a call's cost is written in
 *   four rows (the call, its attempt, both spans), its overhead and time to first chunk in two, all
 *   within a turn or two of the event loop. Direct-mapped by the value's bits.
 */
const SLOT_BITS = 10;
const SLOT_BYTES = 32; // the longest text is 25 bytes (`-2.2250738585072014e-308`)
const keys = new Float64Array(1 << SLOT_BITS).fill(Number.NaN);
const lengths = new Uint8Array(1 << SLOT_BITS);
const texts = new Uint8Array((1 << SLOT_BITS) * SLOT_BYTES);
const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);

const MINUS = 45;
const DOT = 46;
const ZERO = 48;

export function writeNumberText(w: RowBytes, v: number): void {
  bits[0] = v;
  const slot = Math.imul((words[0] as number) ^ (words[1] as number), 0x9e3779b1) >>> (32 - SLOT_BITS);
  const at = slot * SLOT_BYTES;
  w.ensure(SLOT_BYTES);
  const buf = w.buf;
  const p = w.pos;
  if (keys[slot] === v) {
    const n = lengths[slot] as number;
    for (let i = 0; i < n; i++) buf[p + i] = texts[at + i] as number;
    w.pos = p + n;
    return;
  }
  const end = placeDigits(buf, p, v.toExponential());
  const n = end - p;
  for (let i = 0; i < n; i++) texts[at + i] = buf[p + i] as number;
  keys[slot] = v;
  lengths[slot] = n;
  w.pos = end;
}

/**
 * Number::toString's text from toExponential()'s (`-d.ddde±x`): the point at its place for decimal
 * exponents from -6 to 20, the exponential form as it is otherwise. Returns the end.
 */
function placeDigits(buf: Buffer, start: number, e: string): number {
  const length = e.length;
  let p = start;
  let i = 0;
  if (e.charCodeAt(0) === MINUS) {
    buf[p++] = MINUS;
    i = 1;
  }
  const ePos = e.indexOf('e', i);
  let x = 0;
  for (let j = ePos + 2; j < length; j++) x = x * 10 + e.charCodeAt(j) - ZERO;
  // The decimal point goes after n digits.
  const n = (e.charCodeAt(ePos + 1) === MINUS ? -x : x) + 1;
  if (n > 21 || n <= -6) {
    for (let j = i; j < length; j++) buf[p++] = e.charCodeAt(j);
    return p;
  }
  // k digits: e[i], then e[i + 2, ePos) after toExponential's point.
  const k = ePos === i + 1 ? 1 : ePos - i - 1;
  let point = n;
  if (n <= 0) {
    buf[p++] = ZERO;
    buf[p++] = DOT;
    for (let z = 0; z < -n; z++) buf[p++] = ZERO;
    point = -1;
  }
  for (let d = 0; d < k; d++) {
    if (d === point) buf[p++] = DOT;
    buf[p++] = e.charCodeAt(d === 0 ? i : i + 1 + d);
  }
  for (let z = k; z < n; z++) buf[p++] = ZERO;
  return p;
}
