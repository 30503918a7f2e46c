/**
 * Thresholds of the reliability alerts, in one place. Budgets live in budgets.ts.
 */
export const THRESHOLDS = {
  errorRate: {
    /** Alert when a provider's share of failed calls exceeds this over the window. */
    max: 0.05,
    windowSeconds: 600,
    /** Ignore providers with fewer calls than this in the window (one failure out of two is noise). */
    minCalls: 20,
    for: '5m',
  },
  fallbackSpike: {
    /** Alert when a feature's fallback share in the recent window exceeds its 24h baseline by this much. */
    maxIncrease: 0.2,
    recentSeconds: 900,
    baselineSeconds: 86400,
    minCalls: 20,
    for: '5m',
  },
  p95Latency: {
    maxMs: 10_000,
    windowSeconds: 600,
    minCalls: 20,
    for: '10m',
  },
  spool: {
    /** The spool is growing: records per second added, averaged over `window`. */
    window: '10m',
    for: '10m',
  },
} as const;
