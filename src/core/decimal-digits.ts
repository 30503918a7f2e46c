/**
 * Decimal digits written straight into bytes, for JsonBytes (json-bytes.ts): integers, three digits at a time,
 * and a number's JavaScript text from its toExponential() text.
 */
export const MINUS = 0x2d;
const ZERO = 0x30;
const DOT = 0x2e;

const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** (i + 1));

/** Decimal digits of a non-negative safe integer. */
export function digitCount(n: number): number {
  let d = 1;
  while (d < 16 && n >= (POW10[d - 1] as number)) d++;
  return d;
}

/** `n` (a non-negative safe integer) as exactly `width` digits, zero-padded, ending at p + width. */
export function writeDigits(buf: Uint8Array, p: number, n: number, width: number): number {
  let q = p + width;
  let v = n;
  if (v < 0x80000000) {
    while (q > p) {
      const t = (v / 10) | 0;
      buf[--q] = ZERO + (v - t * 10);
      v = t;
    }
  } else {
    while (q > p) {
      const t = Math.floor(v / 10);
      buf[--q] = ZERO + (v - t * 10);
      v = t;
    }
  }
  return p + width;
}

/** `"000"` to `"999"`, each as the three digit bytes packed in one number. */
const THREE = Array.from(
  { length: 1000 },
  (_, n) => ((ZERO + Math.floor(n / 100)) << 16) | ((ZERO + (Math.floor(n / 10) % 10)) << 8) | (ZERO + (n % 10)),
);

/** `n` (0 to 999) as three digits. */
export function writeThree(buf: Uint8Array, p: number, n: number): number {
  const d = THREE[n] as number;
  buf[p] = d >> 16;
  buf[p + 1] = (d >> 8) & 0xff;
  buf[p + 2] = d & 0xff;
  return p + 3;
}

/**
 * Number::toString's text of a finite number, from its toExponential() text `e` (`-d.ddde±x`,
 * the same shortest digits): the point at its place for decimal exponents from -6 to 20, as it is
 * otherwise. Needs room for e.length + 25 bytes; returns the end.
 */
export function writeExponentialAsString(buf: Uint8Array, at: number, e: string): number {
  const length = e.length;
  let p = at;
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
  // Digits: e[i], then e[i + 2, ePos) after the point.
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
