/** Monotonic milliseconds (for durations) and wall-clock epoch milliseconds (for timestamps). */
export function monoMs(): number {
  return performance.now();
}

export function epochMs(): number {
  return Date.now();
}

/** Wall-clock ms for a past monotonic reading. */
export function monoToEpoch(mono: number): number {
  return Date.now() - (performance.now() - mono);
}

/**
 * A duration in ms rounded to the microsecond, as calls and attempts record it. Finer digits are the
 * clock's noise, not the call's; and a value of three decimals is written as text without
 * toExponential()'s shortest-digits search (core/number-text.ts), in every span and ledger row.
 */
export function toMicros(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
