import { digitCount, writeDigits, writeExponentialAsString } from './decimal-digits.js';

/**
 * `String(v)` of a finite number, written straight into bytes (JsonBytes#number). Turning a double
 * with a long fraction (a latency, a cost) into its shortest text is the dearest step of a row, so:
 * - the digits come from `toExponential()`, the same shortest digits String(v) gives (V8 computes
 *   both with DTOA_SHORTEST), placed as Number::toString places them (writeExponentialAsString).
 *   String(v) would also put each new string into V8's number-string cache, which keeps it alive
 *   into the old generation.
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

/** The room writeNumberText needs: the toExponential() text (at most 24) + 25 bytes. */
export const NUMBER_TEXT_ROOM = 64;

/** Writes the text of finite `v` at p (room for NUMBER_TEXT_ROOM bytes); returns the end. */
export function writeNumberText(buf: Uint8Array, p: number, v: number): number {
  const milli = writeMilliText(buf, p, v);
  if (milli >= 0) return milli;
  bits[0] = v;
  const slot = Math.imul((words[0] as number) ^ (words[1] as number), 0x9e3779b1) >>> (32 - SLOT_BITS);
  const at = slot * SLOT_BYTES;
  if (keys[slot] === v) {
    const n = lengths[slot] as number;
    for (let i = 0; i < n; i++) buf[p + i] = texts[at + i] as number;
    return p + n;
  }
  const end = writeExponentialAsString(buf, p, v.toExponential());
  const n = end - p;
  for (let i = 0; i < n; i++) texts[at + i] = buf[p + i] as number;
  keys[slot] = v;
  lengths[slot] = n;
  return end;
}

/**
 * `String(v)` of a positive `v` below 1e12 with at most three decimals, from integer arithmetic
 * (the end), or -1 for any other `v`. Durations are recorded in ms to the microsecond
 * (core/clock.ts `toMicros`), so most doubles a row or span holds are these, and toExponential()'s
 * shortest-digits search was about 0.2 µs for each (docs/benchmarks.md, tenth round).
 *
 * Why the text is the same: `v` is the double nearest `m / 1000` (checked), and no other decimal of
 * three decimals or fewer lies within half a unit in the last place of it (below 1e12 that unit is
 * under 0.000123, and two such decimals are at least 0.001 apart). So `m / 1000`, trailing zeros
 * dropped, is the shortest text that reads back as `v`, which is what Number::toString writes; in
 * this range it writes it without an exponent.
 */
function writeMilliText(buf: Uint8Array, p: number, v: number): number {
  if (!(v > 0 && v < 1e12)) return -1;
  const m = Math.round(v * 1000);
  if (m / 1000 !== v) return -1;
  const whole = Math.floor(m / 1000);
  const frac = m - whole * 1000;
  let end = writeDigits(buf, p, whole, digitCount(whole));
  if (frac === 0) return end;
  buf[end] = DOT;
  end = writeDigits(buf, end + 1, frac, 3);
  while (buf[end - 1] === ZERO) end--;
  return end;
}

const DOT = 0x2e;
const ZERO = 0x30;
