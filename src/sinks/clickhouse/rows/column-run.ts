import type { RowBytes } from './row-bytes.js';

/**
 * The bytes of a run of adjacent columns whose values repeat from row to row (feature, route,
 * models, provider, the config hash and resource), kept per distinct values: a run seen before is
 * one copy instead of a key and a value per column. Values compare with `===` and the run's bytes
 * are a function of them (strings, numbers, booleans, undefined or null only).
 *
 * A combination is kept once it has come twice among the last few that were not kept, so values
 * that change on every row cost comparisons and never an allocation. At most 8 are kept, replaced
 * in turn. A row that took the object path (`w.bad`) is not remembered.
 *
 *     if (!run.copy(w, a, b, c)) { …write the columns…; run.wrote(w, a, b, c); }
 */
interface Values {
  a: unknown;
  b: unknown;
  c: unknown;
  d: unknown;
  e: unknown;
  f: unknown;
  g: unknown;
  h: unknown;
  i: unknown;
}

interface Kept extends Values {
  bytes: Uint8Array;
}

const KEPT = 8;
const SEEN = 4;

export class ColumnRun {
  readonly #kept: Kept[] = [];
  #nextKept = 0;
  readonly #seen: Values[] = Array.from({ length: SEEN }, () => values(NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE));
  #nextSeen = 0;
  #start = 0;

  /** Copies the run if these values are kept (true); otherwise notes where the run starts (false). */
  copy(
    w: RowBytes,
    a: unknown,
    b?: unknown,
    c?: unknown,
    d?: unknown,
    e?: unknown,
    f?: unknown,
    g?: unknown,
    h?: unknown,
    i?: unknown,
  ): boolean {
    const kept = this.#kept;
    for (let k = 0; k < kept.length; k++) {
      const v = kept[k] as Kept;
      if (same(v, a, b, c, d, e, f, g, h, i)) {
        w.bytes(v.bytes);
        return true;
      }
    }
    this.#start = w.pos;
    return false;
  }

  /** After the run was written by hand, with the same values as `copy`. */
  wrote(
    w: RowBytes,
    a: unknown,
    b?: unknown,
    c?: unknown,
    d?: unknown,
    e?: unknown,
    f?: unknown,
    g?: unknown,
    h?: unknown,
    i?: unknown,
  ): void {
    if (w.bad) return;
    for (let k = 0; k < SEEN; k++) {
      const v = this.#seen[k] as Values;
      if (same(v, a, b, c, d, e, f, g, h, i)) {
        const keep: Kept = { a, b, c, d, e, f, g, h, i, bytes: new Uint8Array(w.buf.subarray(this.#start, w.pos)) };
        this.#kept[this.#nextKept] = keep;
        this.#nextKept = (this.#nextKept + 1) % KEPT;
        v.a = NONE;
        return;
      }
    }
    const v = this.#seen[this.#nextSeen] as Values;
    this.#nextSeen = (this.#nextSeen + 1) % SEEN;
    v.a = a;
    v.b = b;
    v.c = c;
    v.d = d;
    v.e = e;
    v.f = f;
    v.g = g;
    v.h = h;
    v.i = i;
  }
}

/** Matches no value. */
const NONE = Symbol('none');

function same(
  v: Values,
  a: unknown,
  b: unknown,
  c: unknown,
  d: unknown,
  e: unknown,
  f: unknown,
  g: unknown,
  h: unknown,
  i: unknown,
): boolean {
  return v.a === a && v.b === b && v.c === c && v.d === d && v.e === e && v.f === f && v.g === g && v.h === h && v.i === i;
}

function values(a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown, g: unknown, h: unknown, i: unknown): Values {
  return { a, b, c, d, e, f, g, h, i };
}
