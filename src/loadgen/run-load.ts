import { setTimeout as sleep } from 'node:timers/promises';
import { LoadStats, type LoadSnapshot } from './load-stats.js';
import { sendChat } from './send-chat.js';

export interface LoadOptions {
  baseUrl: string;
  features: string[];
  /** Requests started per second (open loop: a slow gateway does not slow the schedule). */
  rps: number;
  /** 0 = until the signal aborts. */
  durationMs: number;
  /** Share of calls made with `stream: true`, 0..1. */
  streamRatio: number;
  model: string;
  apiKey: string;
  /** Cap on requests in flight; past it a tick is skipped and counted as not sent. */
  maxInFlight: number;
  progressEveryMs: number;
  timeoutMs: number;
  signal?: AbortSignal;
  log: (line: string) => void;
  /** Injected for deterministic tests; Math.random by default. */
  random?: () => number;
}

const PROMPTS: Record<string, string[]> = {
  'support-chat': ['My order has not arrived yet, what can I do?', 'How do I reset my password?', 'Can I change my delivery address?'],
  coding: ['Write a TypeScript function that debounces another function.', 'Explain this regex: ^\\d{3}-\\d{4}$'],
  search: ['Summarise the top results for "native sidecar containers".', 'Best practices for ClickHouse primary keys?'],
};
const FALLBACK_PROMPTS = ['Say hello in three languages.', 'Give me one fun fact about trains.'];

function pick<T>(xs: readonly T[], r: number): T {
  return xs[Math.min(xs.length - 1, Math.floor(r * xs.length))] as T;
}

/** Sends traffic at a fixed rate until the duration ends or the signal aborts; waits for stragglers. */
export async function runLoad(o: LoadOptions): Promise<LoadSnapshot> {
  const random = o.random ?? Math.random;
  const stats = new LoadStats();
  const started = performance.now();
  const intervalMs = 1000 / o.rps;
  const pending = new Set<Promise<void>>();
  let nextProgress = started + o.progressEveryMs;
  let skipped = 0;

  for (let i = 0; ; i++) {
    if (o.signal?.aborted) break;
    const offset = i * intervalMs;
    if (o.durationMs > 0 && offset >= o.durationMs) break;
    const wait = started + offset - performance.now();
    if (wait > 0) {
      try {
        await sleep(wait, undefined, o.signal ? { signal: o.signal } : undefined);
      } catch {
        break; // aborted
      }
    }
    if (performance.now() >= nextProgress) {
      o.log(stats.line(performance.now() - started));
      nextProgress += o.progressEveryMs;
    }
    if (stats.inFlight >= o.maxInFlight) {
      skipped++;
      continue;
    }
    const feature = o.features[i % o.features.length] as string;
    const stream = random() < o.streamRatio;
    const prompt = pick(PROMPTS[feature] ?? FALLBACK_PROMPTS, random());
    stats.sent++;
    stats.inFlight++;
    const t0 = performance.now();
    const p = sendChat({ baseUrl: o.baseUrl, feature, model: o.model, stream, prompt, apiKey: o.apiKey, timeoutMs: o.timeoutMs })
      .then((r) => stats.record({ feature, status: r.status, ok: r.ok, ms: performance.now() - t0, stream }))
      .finally(() => {
        stats.inFlight--;
        pending.delete(p);
      });
    pending.add(p);
  }
  await Promise.allSettled([...pending]);
  o.log(`${stats.line(performance.now() - started)} done${skipped ? ` skipped_over_cap=${skipped}` : ''}`);
  return stats.snapshot();
}
