/**
 * Hand-written JSONEachRow building blocks. Every helper produces exactly what `JSON.stringify`
 * would for the same value, so a row serialized here is byte-identical to `JSON.stringify(row)`.
 * A value of an unexpected type sets `fast.bad`; the row serializers then fall back to the plain
 * object → `JSON.stringify` path for that row, so odd input is written exactly as before.
 */
export const fast = { bad: false };

// Characters JSON.stringify escapes: `"`, `\`, C0 controls, and (lone) surrogates.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the controls JSON escapes is the point
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** Whether JSON.stringify(s) is more than `"${s}"`. */
export function needsEscape(s: string): boolean {
  return NEEDS_ESCAPE.test(s);
}

/** A string as a JSON string literal. */
export function jstr(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

// LowCardinality values (feature, route, provider, model, config hash, …) repeat on every row:
// their quoted form is cached. Bounded: the cache is cleared when it grows past the limit.
const QUOTED = new Map<string, string>();
const QUOTED_MAX = 4096;

export function jstrCached(s: string): string {
  let q = QUOTED.get(s);
  if (q === undefined) {
    q = jstr(s);
    if (QUOTED.size >= QUOTED_MAX) QUOTED.clear();
    QUOTED.set(s, q);
  }
  return q;
}

/** A required string column. */
export function str(v: unknown): string {
  if (typeof v === 'string') return jstr(v);
  fast.bad = true;
  return '';
}

/** A required LowCardinality string column. */
export function lc(v: unknown): string {
  if (typeof v === 'string') return jstrCached(v);
  fast.bad = true;
  return '';
}

/** `v ?? ''` */
export function strOrEmpty(v: unknown): string {
  if (typeof v === 'string') return jstrCached(v);
  if (v === undefined || v === null) return '""';
  fast.bad = true;
  return '';
}

/** A required number column (non-finite numbers are `null`, as in JSON.stringify). */
export function num(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? `${v}` : 'null';
  fast.bad = true;
  return '';
}

/** `v ?? 0` */
export function numOrZero(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? `${v}` : 'null';
  if (v === undefined || v === null) return '0';
  fast.bad = true;
  return '';
}

/** `v ?? null` */
export function numOrNull(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? `${v}` : 'null';
  if (v === undefined || v === null) return 'null';
  fast.bad = true;
  return '';
}

/** A Nullable number kept as given: `null` is NULL; `undefined` would drop the key, so it is odd. */
export function numOrNullStrict(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? `${v}` : 'null';
  if (v === null) return 'null';
  fast.bad = true;
  return '';
}

export function bool(v: unknown): string {
  if (v === true) return 'true';
  if (v === false) return 'false';
  fast.bad = true;
  return '';
}

/** An array of strings (LowCardinality elements). */
export function strArray(v: unknown): string {
  if (!Array.isArray(v)) {
    fast.bad = true;
    return '';
  }
  let out = '[';
  for (let i = 0; i < v.length; i++) {
    const e: unknown = v[i];
    if (typeof e !== 'string') {
      fast.bad = true;
      return '';
    }
    out += i === 0 ? jstrCached(e) : `,${jstrCached(e)}`;
  }
  return `${out}]`;
}
