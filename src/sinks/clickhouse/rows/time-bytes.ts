import type { RowBytes } from './row-bytes.js';
import { formatDateTime64ms, formatDateTime64ns } from './time-format.js';

/**
 * `formatDateTime64ms` and `formatDateTime64ns` written straight into row bytes (no quotes): the
 * `YYYY-MM-DD hh:mm:ss.` of the last second is kept as bytes and copied while rows fall in the same
 * second (rows of a batch are close in time); then the fraction's digits. Same strings, same throws
 * (an invalid time throws, and the record is dropped whole).
 */
let msSecond = Number.NaN;
const msPrefix = new Uint8Array(20);

export function writeDateTime64ms(w: RowBytes, epochMs: number): void {
  if (typeof epochMs !== 'number') {
    w.raw(formatDateTime64ms(epochMs));
    return;
  }
  const t = Math.trunc(epochMs); // a Date's time value drops the fraction toward zero
  const sec = Math.floor(t / 1000);
  if (sec !== msSecond) {
    const iso = new Date(sec * 1000).toISOString(); // throws for an invalid time, like the original
    if (iso.length !== 24) {
      w.raw(formatDateTime64ms(epochMs)); // years outside 0000–9999
      return;
    }
    for (let i = 0; i < 20; i++) msPrefix[i] = i === 10 ? 32 : iso.charCodeAt(i);
    msSecond = sec;
  }
  const ms = t - sec * 1000;
  w.bytes(msPrefix);
  w.ensure(3);
  const buf = w.buf;
  const p = w.pos - 20;
  buf[p + 20] = 48 + Math.floor(ms / 100);
  buf[p + 21] = 48 + (Math.floor(ms / 10) % 10);
  buf[p + 22] = 48 + (ms % 10);
  w.pos = p + 23;
}

let nsSecond = Number.NaN;
const nsPrefix = new Uint8Array(20);

/** From an OTel HrTime `[seconds, nanos]`, for DateTime64(9). */
export function writeDateTime64ns(w: RowBytes, time: readonly [number, number]): void {
  const sec = time[0];
  const nanos = time[1];
  if (typeof sec !== 'number' || !Number.isInteger(sec) || !Number.isInteger(nanos) || nanos < 0 || nanos >= 1e9) {
    w.raw(formatDateTime64ns(time));
    return;
  }
  if (sec !== nsSecond) {
    const iso = new Date(sec * 1000).toISOString();
    if (iso.length !== 24) {
      w.raw(formatDateTime64ns(time));
      return;
    }
    for (let i = 0; i < 20; i++) nsPrefix[i] = i === 10 ? 32 : i === 19 ? 46 : iso.charCodeAt(i);
    nsSecond = sec;
  }
  w.bytes(nsPrefix);
  w.ensure(9);
  const buf = w.buf;
  const p = w.pos - 20;
  let q = nanos;
  for (let i = 28; i >= 20; i--) {
    const d = q % 10;
    buf[p + i] = 48 + d;
    q = (q - d) / 10;
  }
  w.pos = p + 29;
}
