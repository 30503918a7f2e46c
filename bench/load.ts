import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { type Percentiles, percentiles } from './stats.js';

/**
 * The load generator: a closed loop of `concurrency` workers over an undici Pool with that many
 * keep-alive connections. Each worker POSTs, reads the whole body, and sends the next request at
 * once. Only requests that complete inside the measurement window (after the warm-up) count.
 */
export interface LoadOptions {
  origin: string;
  path: string;
  body: string;
  headers?: Record<string, string>;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /**
   * Open-loop pacing: requests start at this many per second in total (spread over the workers),
   * instead of each worker sending its next request as soon as the last one ends. A schedule that
   * falls behind by more than 2 ms restarts from now, so a stall is not made up with a burst.
   */
  ratePerSec?: number;
  /** Called when the measurement window opens and closes (for CPU readings of the target). */
  onWindowStart?: () => void;
  onWindowEnd?: () => void;
}

export interface LoadResult {
  /** Requests completed inside the window. */
  requests: number;
  /** Requests completed in total (warm-up included), successful or not. */
  totalRequests: number;
  /** Non-2xx answers and transport errors, over the whole run. */
  errors: number;
  firstError?: string;
  windowSeconds: number;
  rps: number;
  /** Request sent → last body byte, ms. */
  latencyMs: Percentiles;
  /** Request sent → first body byte, ms. */
  ttfbMs: Percentiles;
  /** Body bytes of the last successful response. */
  responseBytes: number;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const pool = new Pool(o.origin, { connections: o.concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
  const headers = { 'content-type': 'application/json', authorization: 'Bearer sk-bench-app-key', ...(o.headers ?? {}) };
  const t0 = performance.now();
  const windowStart = t0 + o.warmupMs;
  const windowEnd = windowStart + o.durationMs;
  const latencies: number[] = [];
  const ttfbs: number[] = [];
  const state = { total: 0, errors: 0, firstError: undefined as string | undefined, responseBytes: 0 };
  // The window callbacks fire once each, in order, even when the workers outrun the timers.
  const marks = { started: false, ended: false };
  const start = () => {
    if (marks.started) return;
    marks.started = true;
    o.onWindowStart?.();
  };
  const end = () => {
    if (marks.ended) return;
    start();
    marks.ended = true;
    o.onWindowEnd?.();
  };
  const startTimer = setTimeout(start, o.warmupMs);
  const endTimer = setTimeout(end, o.warmupMs + o.durationMs);

  const pace = { next: t0, gap: o.ratePerSec ? 1000 / o.ratePerSec : 0 };
  const waitForSlot = async (): Promise<void> => {
    const now = performance.now();
    if (pace.next < now - 2) pace.next = now;
    const slot = pace.next;
    pace.next += pace.gap;
    if (slot > now + 0.5) await new Promise((r) => setTimeout(r, slot - now));
  };

  const worker = async (): Promise<void> => {
    while (performance.now() < windowEnd) {
      if (pace.gap > 0) await waitForSlot();
      const sent = performance.now();
      let first = 0;
      let bytes = 0;
      let ok = false;
      try {
        const res = await pool.request({ method: 'POST', path: o.path, headers, body: o.body });
        for await (const chunk of res.body) {
          if (first === 0) first = performance.now();
          bytes += (chunk as Buffer).length;
        }
        ok = res.statusCode >= 200 && res.statusCode < 300;
        if (!ok && state.firstError === undefined) state.firstError = `HTTP ${res.statusCode}`;
      } catch (e) {
        if (state.firstError === undefined) state.firstError = (e as Error).message;
        await new Promise((r) => setTimeout(r, 5));
      }
      const done = performance.now();
      state.total++;
      if (!ok) {
        state.errors++;
        continue;
      }
      state.responseBytes = bytes;
      if (done >= windowStart && done <= windowEnd) {
        latencies.push(done - sent);
        ttfbs.push((first || done) - sent);
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  end();
  clearTimeout(startTimer);
  clearTimeout(endTimer);
  await pool.close();
  const windowSeconds = o.durationMs / 1000;
  return {
    requests: latencies.length,
    totalRequests: state.total,
    errors: state.errors,
    ...(state.firstError !== undefined ? { firstError: state.firstError } : {}),
    windowSeconds,
    rps: latencies.length / windowSeconds,
    latencyMs: percentiles(latencies),
    ttfbMs: percentiles(ttfbs),
    responseBytes: state.responseBytes,
  };
}

/** One request on `pool`, fully read: status, body bytes, and time to the first body chunk (ms). */
export async function fetchOnce(
  pool: Pool,
  o: { path: string; body: string; headers?: Record<string, string> },
): Promise<{ status: number; body: Buffer; ttfcMs: number; totalMs: number; chunks: number }> {
  const sent = performance.now();
  const res = await pool.request({
    method: 'POST',
    path: o.path,
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench-app-key', ...(o.headers ?? {}) },
    body: o.body,
  });
  let first = 0;
  const parts: Buffer[] = [];
  for await (const chunk of res.body) {
    if (first === 0) first = performance.now();
    parts.push(chunk as Buffer);
  }
  const done = performance.now();
  return { status: res.statusCode, body: Buffer.concat(parts), ttfcMs: (first || done) - sent, totalMs: done - sent, chunks: parts.length };
}
