/**
 * JSON string literals for the rows still built as strings (`otel_traces` rows of SDK spans, and
 * resource columns, encoded once per resource): exactly what `JSON.stringify` gives for a string.
 */

// Characters JSON.stringify escapes: `"`, `\`, C0 controls, and (lone) surrogates.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the controls JSON escapes is the point
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A string as a JSON string literal. */
export function jstr(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

// Values that repeat on every row (span names, scope names) have their quoted form cached.
// Bounded: the cache is cleared when it grows past the limit.
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
