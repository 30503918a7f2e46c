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
