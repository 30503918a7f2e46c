import type { RowBytes } from './row-bytes.js';

/**
 * Column value writers for ClickHouse's RowBinary format, into the same byte cursor the JSON row
 * writers use (RowBytes). Each takes exactly the values for which it can write what ClickHouse
 * would have stored from the JSONCompactEachRow text of the same row, and sets `w.bad` for anything
 * else (wrong type, NaN, a fraction in an integer column, out of range, a lone surrogate): the row
 * is then written as JSON instead (rows/ai-call-in-binary.ts), so odd input is stored as before.
 *
 * RowBinary, per ClickHouse's format docs: integers and floats little-endian at their width; Bool one
 * byte; String a LEB128 length then the UTF-8 bytes; Nullable(T) a byte (1: NULL) then T unless NULL;
 * Array(T) and Map(K, V) a LEB128 count then the elements (a Map's as key, value); Tuple its elements
 * in order; LowCardinality(T) as T; DateTime64(p) an Int64 of 10^-p second ticks.
 */

const F64 = new Float64Array(1);
const F64_BYTES = new Uint8Array(F64.buffer);
const TWO_32 = 4294967296;

/** Times the fast path writes (earlier go through the text path): 1970 up to 2200. */
export const MAX_EPOCH_SECONDS = 7258118400;
const MAX_EPOCH_MS = MAX_EPOCH_SECONDS * 1000;

/** A LEB128 length or count (a non-negative integer below 2^31). */
export function varint(w: RowBytes, n: number): void {
  w.ensure(5);
  const buf = w.buf;
  let p = w.pos;
  while (n >= 0x80) {
    buf[p++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[p++] = n;
  w.pos = p;
}

/** Eight bytes of a non-negative integer below 2^53, little-endian. */
function uint64(w: RowBytes, v: number): void {
  w.ensure(8);
  const buf = w.buf;
  const p = w.pos;
  const lo = v % TWO_32;
  uint32At(buf, p, lo);
  uint32At(buf, p + 4, (v - lo) / TWO_32);
  w.pos = p + 8;
}

function uint16(w: RowBytes, v: number): void {
  w.ensure(2);
  w.buf[w.pos] = v & 0xff;
  w.buf[w.pos + 1] = v >>> 8;
  w.pos += 2;
}

function float64(w: RowBytes, v: number): void {
  F64[0] = v + 0; // -0 as 0: JSON has no -0 either
  w.ensure(8);
  const buf = w.buf;
  const p = w.pos;
  for (let i = 0; i < 8; i++) buf[p + i] = F64_BYTES[i] as number;
  w.pos = p + 8;
}

/** A constant byte (a Bool, a Nullable's flag, an empty array's count). */
export function byte(w: RowBytes, b: number): void {
  w.byte(b);
}

/** Zero bytes: `n` of them (a zero number, an empty string). A loop: `fill` costs more for so few. */
export function zeros(w: RowBytes, n: number): void {
  w.ensure(n);
  const buf = w.buf;
  const end = w.pos + n;
  for (let p = w.pos; p < end; p++) buf[p] = 0;
  w.pos = end;
}

function uint32At(buf: Buffer, p: number, v: number): void {
  buf[p] = v & 0xff;
  buf[p + 1] = (v >>> 8) & 0xff;
  buf[p + 2] = (v >>> 16) & 0xff;
  buf[p + 3] = v >>> 24;
}

export function bool(w: RowBytes, v: unknown): void {
  if (v === true) w.byte(1);
  else if (v === false) w.byte(0);
  else w.bad = true;
}

/** UInt16 */
export function u16(w: RowBytes, v: unknown): void {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff) uint16(w, v);
  else w.bad = true;
}

/** UInt16, `v ?? 0` */
export function u16OrZero(w: RowBytes, v: unknown): void {
  if (v === undefined || v === null) uint16(w, 0);
  else u16(w, v);
}

/** UInt32 */
export function u32(w: RowBytes, v: unknown): void {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < TWO_32) {
    w.ensure(4);
    uint32At(w.buf, w.pos, v);
    w.pos += 4;
  } else w.bad = true;
}

/** UInt64, `v ?? 0` (integers up to 2^53: what a JS number holds exactly). */
export function u64OrZero(w: RowBytes, v: unknown): void {
  if (v === undefined || v === null) zeros(w, 8);
  else if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) uint64(w, v);
  else w.bad = true;
}

/** UInt64 of a count the code computes (a span's duration in ns). */
export function u64(w: RowBytes, v: number): void {
  if (Number.isSafeInteger(v) && v >= 0) uint64(w, v);
  else w.bad = true;
}

/** Float64 (finite: JSON has no NaN, so the text path wrote those as `null`). */
export function f64(w: RowBytes, v: unknown): void {
  if (typeof v === 'number' && Number.isFinite(v)) float64(w, v);
  else w.bad = true;
}

/** Nullable(Float64), `v ?? null` */
export function f64OrNull(w: RowBytes, v: unknown): void {
  if (v === undefined || v === null) w.byte(1);
  else if (typeof v === 'number' && Number.isFinite(v)) {
    w.byte(0);
    float64(w, v);
  } else w.bad = true;
}

/** Nullable(Float64) kept as given: `null` is NULL; `undefined` is odd (the JSON path says so too). */
export function f64OrNullStrict(w: RowBytes, v: unknown): void {
  if (v === undefined) w.bad = true;
  else f64OrNull(w, v);
}

/** String (or LowCardinality(String)): the UTF-8 bytes with their length. */
export function str(w: RowBytes, v: unknown): void {
  if (typeof v !== 'string') {
    w.bad = true;
    return;
  }
  const n = v.length;
  if (n < 128) {
    // ASCII, the usual case: one length byte, one byte per char.
    w.ensure(n + 1);
    const buf = w.buf;
    const at = w.pos;
    let p = at + 1;
    for (let i = 0; i < n; i++) {
      const c = v.charCodeAt(i);
      if (c >= 0x80) {
        strSlow(w, v);
        return;
      }
      buf[p++] = c;
    }
    buf[at] = n;
    w.pos = p;
    return;
  }
  strSlow(w, v);
}

/** ES2024's String#isWellFormed (Node 20 has it; the TS lib here is older). */
type WellFormed = { isWellFormed(): boolean };

function strSlow(w: RowBytes, v: string): void {
  // A lone surrogate has no UTF-8: the JSON path writes it escaped, as it always did.
  if (!(v as unknown as WellFormed).isWellFormed()) {
    w.bad = true;
    return;
  }
  const n = Buffer.byteLength(v, 'utf8');
  varint(w, n);
  w.ensure(n);
  w.pos += w.buf.write(v, w.pos, 'utf8');
}

/** String, `v ?? ''` */
export function strOrEmpty(w: RowBytes, v: unknown): void {
  if (v === undefined || v === null) w.byte(0);
  else str(w, v);
}

/** Nullable(String): `null` and `undefined` are NULL. */
export function nullableStr(w: RowBytes, v: unknown): void {
  if (v === undefined || v === null) w.byte(1);
  else {
    w.byte(0);
    str(w, v);
  }
}

/**
 * DateTime64(3) from epoch ms: the ms ticks, the fraction dropped toward zero as the text path's
 * `new Date(ms)` drops it. Times before 1970 or from 2200 on take the text path.
 */
export function dateTime64ms(w: RowBytes, v: unknown): void {
  if (typeof v !== 'number' || !(v >= 0 && v < MAX_EPOCH_MS)) {
    w.bad = true;
    return;
  }
  uint64(w, Math.trunc(v));
}

/**
 * DateTime64(9) from an OTel HrTime's parts (`[seconds, nanos]`): `seconds * 1e9 + nanos` as an Int64. The
 * product passes 2^53, so it is built in 32-bit halves: seconds = sh * 2^16 + sl, and
 * 1e9 = 15258 * 2^16 + 51712, so seconds * 1e9 = sh * 15258 * 2^32 + sh * 51712 * 2^16 + sl * 1e9,
 * each part exact in a double.
 */
export function dateTime64ns(w: RowBytes, sec: number, nanos: number): void {
  if (!Number.isInteger(sec) || sec < 0 || sec >= MAX_EPOCH_SECONDS || !Number.isInteger(nanos) || nanos < 0 || nanos >= 1e9) {
    w.bad = true;
    return;
  }
  const sh = Math.floor(sec / 65536);
  const sl = sec - sh * 65536;
  const low = sl * 1e9 + nanos; // < 2^46
  const mid = sh * 51712 * 65536; // < 2^48
  let lo = (low % TWO_32) + (mid % TWO_32);
  let hi = Math.floor(low / TWO_32) + Math.floor(mid / TWO_32) + sh * 15258;
  if (lo >= TWO_32) {
    lo -= TWO_32;
    hi += 1;
  }
  w.ensure(8);
  uint32At(w.buf, w.pos, lo);
  uint32At(w.buf, w.pos + 4, hi);
  w.pos += 8;
}
