import { writeExponentialAsString } from '../../../telemetry/lean-otlp/decimal-digits.js';
import type { RowBytes } from './row-bytes.js';

/**
 * `String(v)` of a finite number, written straight into row bytes. Turning a double with a long
 * fraction (a latency, a cost) into its shortest text is the dearest step of a row, so:
 * - the digits come from `toExponential()`, the same shortest digits String(v) gives (V8 computes
 *   both with DTOA_SHORTEST), placed as Number::toString places them (writeExponentialAsString, shared
 *   with the OTLP encoder). String(v) would also put each new string into V8's number-string cache,
 *   which keeps it alive into the old generation.
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

// writeExponentialAsString wants room for the toExponential() text (at most 24) + 25 bytes.
const ROOM = 64;

export function writeNumberText(w: RowBytes, v: number): void {
  bits[0] = v;
  const slot = Math.imul((words[0] as number) ^ (words[1] as number), 0x9e3779b1) >>> (32 - SLOT_BITS);
  const at = slot * SLOT_BYTES;
  w.ensure(ROOM);
  const buf = w.buf;
  const p = w.pos;
  if (keys[slot] === v) {
    const n = lengths[slot] as number;
    for (let i = 0; i < n; i++) buf[p + i] = texts[at + i] as number;
    w.pos = p + n;
    return;
  }
  const end = writeExponentialAsString(buf, p, v.toExponential());
  const n = end - p;
  for (let i = 0; i < n; i++) texts[at + i] = buf[p + i] as number;
  keys[slot] = v;
  lengths[slot] = n;
  w.pos = end;
}
