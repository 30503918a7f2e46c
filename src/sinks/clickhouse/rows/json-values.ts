import { utf8 } from '../../../core/json-bytes.js';
import type { RowBytes } from './row-bytes.js';

/**
 * Column value writers for the ledger rows: each writes what `JSON.stringify` would for the value
 * its row object holds, or sets `w.bad` for a value of an unexpected type (the row then takes the
 * object path).
 */

/** A required string column. */
export function str(w: RowBytes, v: unknown): void {
  if (typeof v === 'string') w.string(v);
  else w.bad = true;
}

/** A required string column between fragments that hold its quotes. */
export function content(w: RowBytes, v: unknown): void {
  if (typeof v === 'string') w.stringContent(v);
  else w.bad = true;
}

/** `v ?? ''` */
export function strOrEmpty(w: RowBytes, v: unknown): void {
  if (typeof v === 'string') w.string(v);
  else if (v === undefined || v === null) w.bytes(EMPTY);
  else w.bad = true;
}

/** A required number column (non-finite numbers are `null`, as in JSON.stringify). */
export function num(w: RowBytes, v: unknown): void {
  if (typeof v === 'number') w.number(v);
  else w.bad = true;
}

/** `v ?? 0` */
export function numOrZero(w: RowBytes, v: unknown): void {
  if (typeof v === 'number') w.number(v);
  else if (v === undefined || v === null) w.byte(48);
  else w.bad = true;
}

/** `v ?? null` */
export function numOrNull(w: RowBytes, v: unknown): void {
  if (typeof v === 'number') w.number(v);
  else if (v === undefined || v === null) w.bytes(NULL);
  else w.bad = true;
}

/** A Nullable number kept as given: `null` is NULL; `undefined` would drop the key, so it is odd. */
export function numOrNullStrict(w: RowBytes, v: unknown): void {
  if (typeof v === 'number') w.number(v);
  else if (v === null) w.bytes(NULL);
  else w.bad = true;
}

export function bool(w: RowBytes, v: unknown): void {
  if (v === true) w.bytes(TRUE);
  else if (v === false) w.bytes(FALSE);
  else w.bad = true;
}

/** An array of strings, then a comma and the elements joined by `sep` as one string. */
export function strArrayAndJoined(w: RowBytes, v: unknown, sep: number): void {
  if (!Array.isArray(v)) {
    w.bad = true;
    return;
  }
  w.byte(91);
  for (let i = 0; i < v.length; i++) {
    const e: unknown = v[i];
    if (typeof e !== 'string') {
      w.bad = true;
      return;
    }
    if (i > 0) w.byte(44);
    w.string(e);
  }
  w.byte(93);
  w.byte(44);
  // Escaping is per character (a lone surrogate stays lone next to `sep`), so escaping each part
  // equals escaping the joined string.
  w.byte(34);
  for (let i = 0; i < v.length; i++) {
    if (i > 0) w.byte(sep);
    w.stringContent(v[i] as string);
  }
  w.byte(34);
}

const EMPTY = utf8('""');
const NULL = utf8('null');
const TRUE = utf8('true');
const FALSE = utf8('false');
