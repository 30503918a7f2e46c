/**
 * Which stream chunks the OpenAI-compatible translator must JSON-parse: those that may carry an
 * error, a non-null `finish_reason` or `usage`, or the usage-only `"choices": []`. Most chunks of
 * a long stream are plain deltas; not parsing them is the largest saving on the streaming path.
 *
 * `OBSERVED_KEYS` is the definition. `ObservedKeyScan` answers the same question for many
 * events of one upstream read at once: it looks for each key once over the whole read (a native
 * substring search from a rare character), and checks the few candidates by hand, so a plain
 * delta costs no regex and no string of its own. `test/unit/providers/observed-keys.test.ts`
 * holds the two to the same answers.
 */
export const OBSERVED_KEYS = /"(?:error|finish_reason|usage)"\s*:\s*(?!null)|"choices"\s*:\s*\[\s*\]/;

/** JavaScript's `\s` within U+0000–U+00FF (the text is a latin1 view of the bytes). */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0;
}

/** `"key"` ends at `at`: does `\s*:\s*(?!null)` match there, within `[at, end)`? */
function valueNotNull(text: string, at: number, end: number): boolean {
  let i = at;
  while (i < end && isSpace(text.charCodeAt(i))) i++;
  if (i >= end || text.charCodeAt(i) !== 0x3a) return false;
  i++;
  // With a space after the colon, `\s*` can stop before it and the lookahead sees no `null`.
  if (i < end && isSpace(text.charCodeAt(i))) return true;
  return !(i + 4 <= end && text.startsWith('null', i));
}

/** `[` at `at`: is it `"choices"\s*:\s*\[\s*\]`, within `[start, end)`? */
function emptyChoices(text: string, at: number, start: number, end: number): boolean {
  let i = at + 1;
  while (i < end && isSpace(text.charCodeAt(i))) i++;
  if (i >= end || text.charCodeAt(i) !== 0x5d) return false;
  let j = at - 1;
  while (j >= start && isSpace(text.charCodeAt(j))) j--;
  if (j < start || text.charCodeAt(j) !== 0x3a) return false;
  j--;
  while (j >= start && isSpace(text.charCodeAt(j))) j--;
  return j - 8 >= start && text.startsWith('"choices"', j - 8);
}

/**
 * Needles start at a character that is rare in chunk JSON, so the search skips most bytes; each
 * hit is checked against the full key. `head` is how far the key starts before the needle.
 */
const NEEDLES = [
  { needle: '_reason"', key: '"finish_reason"', head: 7 },
  { needle: 'usage"', key: '"usage"', head: 1 },
  { needle: 'rror"', key: '"error"', head: 2 },
  { needle: '[', key: '', head: 0 },
] as const;

function candidate(text: string, n: number, at: number, start: number, end: number): boolean {
  const k = NEEDLES[n] as (typeof NEEDLES)[number];
  if (k.key === '') return emptyChoices(text, at, start, end);
  const keyStart = at - k.head;
  const keyEnd = keyStart + k.key.length;
  return keyStart >= start && keyEnd <= end && text.startsWith(k.key, keyStart) && valueNotNull(text, keyEnd, end);
}

/**
 * `OBSERVED_KEYS.test(text.slice(start, end))` for many ranges of one text, in increasing order
 * and without line breaks: each needle's search resumes where the last range left it. A class,
 * not a closure: one is made per upstream read, and closures over the read's text made V8 keep
 * those texts alive through minor GCs.
 */
export class ObservedKeyScan {
  /** Next hit of each needle at or after the last range asked; -2 = not searched yet, -1 = none. */
  private n0 = -2;
  private n1 = -2;
  private n2 = -2;
  private n3 = -2;

  constructor(readonly text: string) {}

  test(start: number, end: number): boolean {
    this.n0 = this.find(0, this.n0, start, end);
    if (this.n0 !== -1 && this.n0 < end) return true;
    this.n1 = this.find(1, this.n1, start, end);
    if (this.n1 !== -1 && this.n1 < end) return true;
    this.n2 = this.find(2, this.n2, start, end);
    if (this.n2 !== -1 && this.n2 < end) return true;
    this.n3 = this.find(3, this.n3, start, end);
    return this.n3 !== -1 && this.n3 < end;
  }

  /** The first hit of needle `n` at or after `start` that is a match within the range, or the first hit after the range, or -1. */
  private find(n: number, from: number, start: number, end: number): number {
    if (from === -1) return -1;
    const text = this.text;
    const needle = (NEEDLES[n] as (typeof NEEDLES)[number]).needle;
    let at = from < start ? text.indexOf(needle, start) : from;
    while (at !== -1 && at < end) {
      if (candidate(text, n, at, start, end)) return at;
      at = text.indexOf(needle, at + 1);
    }
    return at;
  }
}
