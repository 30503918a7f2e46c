import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { Pool } from 'undici';

const gzip = promisify(gzipCb);

/**
 * POSTs OTLP/HTTP JSON bodies to one URL over a small undici pool, with the retry policy of the
 * official exporter (@opentelemetry/otlp-exporter-base): up to 5 attempts on 429, 502, 503, 504
 * and connection errors, exponential backoff from 1 s (×1.5, ±20 % jitter, capped at 5 s),
 * `Retry-After` honoured, all within the export timeout.
 */
export interface OtlpPostOptions {
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  compression: 'none' | 'gzip';
}

export interface OtlpPoster {
  /**
   * Sends one request body. The body is the batcher's buffer, lent until the returned promise
   * settles: once a post succeeded its memory is reused for the next batch, so a poster that
   * keeps the bytes must copy them.
   */
  post(body: Buffer): Promise<void>;
  close(): Promise<void>;
}

const MAX_ATTEMPTS = 5;
const INITIAL_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 5000;
const BACKOFF_MULTIPLIER = 1.5;
const JITTER = 0.2;
const RETRYABLE = new Set([429, 502, 503, 504]);
export const LEAN_USER_AGENT = 'Switchyard-OTLP-Lean-Exporter';

export function createOtlpPoster(o: OtlpPostOptions): OtlpPoster {
  const url = new URL(o.url);
  const pool = new Pool(url.origin, { connections: 2, keepAliveTimeout: 30_000 });
  const path = url.pathname + url.search;
  const baseHeaders: Record<string, string> = {
    ...o.headers,
    'content-type': 'application/json',
    'user-agent': LEAN_USER_AGENT,
    ...(o.compression === 'gzip' ? { 'content-encoding': 'gzip' } : {}),
  };

  async function once(body: Buffer, deadline: number): Promise<{ retryAfterMs?: number; retry: boolean }> {
    const res = await pool.request({
      method: 'POST',
      path,
      headers: { ...baseHeaders, 'content-length': String(body.length) },
      body,
      headersTimeout: Math.max(1, deadline - Date.now()),
      bodyTimeout: Math.max(1, deadline - Date.now()),
    });
    const text = await res.body.text();
    if (res.statusCode >= 200 && res.statusCode < 300) return { retry: false };
    const retryAfter = parseRetryAfterMs(res.headers['retry-after']);
    if (RETRYABLE.has(res.statusCode)) return { retry: true, ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}) };
    throw new Error(`OTLP export failed: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
  }

  return {
    async post(raw) {
      const body = o.compression === 'gzip' ? await gzip(raw) : raw;
      const deadline = Date.now() + o.timeoutMs;
      let backoff = INITIAL_BACKOFF_MS;
      let lastError: unknown;
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        let retryAfterMs: number | undefined;
        try {
          const r = await once(body, deadline);
          if (!r.retry) return;
          retryAfterMs = r.retryAfterMs;
          lastError = new Error('OTLP export failed: retryable HTTP status');
        } catch (err) {
          if (!isConnectionError(err)) throw err;
          lastError = err;
        }
        const wait = retryAfterMs ?? Math.max(0, Math.min(backoff * (1 + (Math.random() * 2 - 1) * JITTER), MAX_BACKOFF_MS));
        backoff *= BACKOFF_MULTIPLIER;
        if (attempt === MAX_ATTEMPTS || Date.now() + wait >= deadline) break;
        await new Promise((r) => setTimeout(r, wait).unref());
      }
      throw lastError instanceof Error ? lastError : new Error('OTLP export failed');
    },
    close: () => pool.close(),
  };
}

function parseRetryAfterMs(v: string | string[] | undefined): number | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (s === undefined) return undefined;
  const seconds = Number.parseInt(s, 10);
  if (Number.isInteger(seconds)) return seconds > 0 ? seconds * 1000 : 0;
  const at = new Date(s).getTime() - Date.now();
  return Number.isNaN(at) ? undefined : Math.max(0, at);
}

function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' &&
    (code.startsWith('UND_ERR_') || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT')
  );
}
