/**
 * Which stream chunks the OpenAI-compatible translator must JSON-parse: those that may carry an
 * error, a non-null `finish_reason` or `usage`. Most chunks of a long stream are plain deltas; not
 * parsing them is the largest saving on the streaming path. (The usage-only chunk, `"choices": []`
 * with `usage`, is caught by its `usage`; an empty `choices` alone carries nothing to observe.)
 *
 * `OBSERVED_KEYS` is the definition. `ObservedKeyScan` answers the same question for many
 * events of one upstream read at once: one regex pass over the whole read finds the candidates
 * (by each key's rare tail, with the not-null check inside the regex), and the few candidates are
 * checked by hand, so a plain delta costs no regex call and no string of its own.
 * `test/unit/providers/observed-keys.test.ts` holds the two to the same answers.
 */
export const OBSERVED_KEYS = /"(?:error|finish_reason|usage)"\s*:\s*(?!null)/;

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

/**
 * One regex finds every place where an observed key may start, by the key's rare tail (so the
 * engine skips most bytes natively), with the `\s*:\s*(?!null)` check inside the regex: the
 * `"finish_reason":null` of every plain delta is rejected without a call back into JavaScript.
 * Each match is then checked by hand against the full key, within the range asked about.
 * Alternatives, by their first character: `_` finish_reason, `u` usage, `r` error.
 *
 * Measured on the recorded 14 KB stream (latin1 view included): this regex 3.3 µs; with a fourth
 * alternative for `"choices":[]` 5.4 µs (every event has a `[`); one `indexOf` per key 5.7 µs
 * (V8's substring search is slow on common first characters).
 */
const CANDIDATES = /_reason"\s*:\s*(?!null)|usage"\s*:\s*(?!null)|rror"\s*:\s*(?!null)/g;

/** `key` starts at `keyStart` and is followed by a value that is not null, all within `[start, end)`. */
function keyNotNull(text: string, key: string, keyStart: number, start: number, end: number): boolean {
  const keyEnd = keyStart + key.length;
  return keyStart >= start && keyEnd <= end && text.startsWith(key, keyStart) && valueNotNull(text, keyEnd, end);
}

/** Is the candidate at `at` (its first character `first`) an observed key within `[start, end)`? */
function confirmed(text: string, first: number, at: number, start: number, end: number): boolean {
  switch (first) {
    case 0x5f: // _reason"
      return keyNotNull(text, '"finish_reason"', at - 7, start, end);
    case 0x75: // usage"
      return keyNotNull(text, '"usage"', at - 1, start, end);
    default: // rror"
      return keyNotNull(text, '"error"', at - 2, start, end);
  }
}

/**
 * `OBSERVED_KEYS.test(text.slice(start, end))` for many ranges of one text, in increasing order
 * and without line breaks: the search resumes where the last range left it, so one upstream read
 * costs about one native pass of the regex. A class, not a closure: one is made per upstream
 * read, and closures over the read's text made V8 keep those texts alive through minor GCs.
 */
export class ObservedKeyScan {
  /** Index of the next candidate at or after the last range asked; -2 = not searched yet, -1 = none. */
  private next = -2;
  /** First character of that candidate. */
  private first = 0;

  constructor(readonly text: string) {}

  test(start: number, end: number): boolean {
    const text = this.text;
    for (;;) {
      if (this.next === -1) return false;
      if (this.next < start) this.search(start);
      else if (this.next >= end) return false;
      else if (confirmed(text, this.first, this.next, start, end)) return true;
      else this.search(this.next + 1);
    }
  }

  private search(from: number): void {
    CANDIDATES.lastIndex = from;
    const m = CANDIDATES.exec(this.text);
    if (m === null) {
      this.next = -1;
      return;
    }
    this.next = m.index;
    this.first = this.text.charCodeAt(m.index);
  }
}
