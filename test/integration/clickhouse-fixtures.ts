import type { AttemptRecord, CallRecord } from '../../src/core/call-record.js';

/**
 * CallRecords for the five ledger scenarios (plain, streamed, retried, fallback, total failure),
 * as the gateway would hand them to a sink. Times are an hour before `now`, on a whole second.
 */
export const RESOURCE = { service: 'switchyard', namespace: 'shop', pod: 'web-7d9f-abc', workload: 'web' };

function attempt(a: Partial<AttemptRecord> & Pick<AttemptRecord, 'index' | 'provider' | 'model' | 'outcome'>): AttemptRecord {
  return {
    targetIndex: 0,
    tryNumber: 1,
    providerName: a.provider,
    startedAtMs: 0,
    durationMs: 100,
    costUsd: null,
    serverAddress: `${a.provider}.example`,
    ...a,
  };
}

export function scenarioRecords(now: number = Date.now()): Record<'plain' | 'streamed' | 'retried' | 'fallback' | 'failure', CallRecord> {
  const t0 = Math.floor(now / 1000) * 1000 - 3_600_000;
  const base = {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    route: 'support-chat',
    operation: 'chat' as const,
    path: '/v1/chat/completions',
    streamed: false,
    requestedModel: 'gpt-4o-mini',
    priceTableVersion: '2025-06-01',
    configHash: 'a1b2c3d4e5f6',
    resource: RESOURCE,
  };
  return {
    plain: {
      ...base,
      callId: 'call-plain',
      startedAtMs: t0,
      spanId: 'b7ad6b7169203331',
      feature: 'support-chat',
      finalProvider: 'openai',
      finalModel: 'gpt-4o-mini',
      outcome: 'ok',
      httpStatus: 200,
      attemptCount: 1,
      retryCount: 0,
      fallbackPath: ['openai/gpt-4o-mini'],
      latencyMs: 412.25,
      overheadMs: 0.75,
      usage: { inputTokens: 120, outputTokens: 30, cacheReadTokens: 100 },
      costUsd: 0.0000255,
      attempts: [
        attempt({ index: 0, provider: 'openai', model: 'gpt-4o-mini', outcome: 'ok', startedAtMs: t0 + 1, durationMs: 411.5, httpStatus: 200, responseModel: 'gpt-4o-mini-2024-07-18', usage: { inputTokens: 120, outputTokens: 30, cacheReadTokens: 100 }, costUsd: 0.0000255, spanId: '00f067aa0ba902b7' }),
      ],
    },
    streamed: {
      ...base,
      callId: 'call-streamed',
      startedAtMs: t0 + 1000,
      spanId: 'c7ad6b7169203332',
      feature: 'support-chat',
      streamed: true,
      finalProvider: 'openai',
      finalModel: 'gpt-4o-mini',
      outcome: 'ok',
      httpStatus: 200,
      attemptCount: 1,
      retryCount: 0,
      fallbackPath: ['openai/gpt-4o-mini'],
      latencyMs: 950.5,
      timeToFirstChunkMs: 180.25,
      overheadMs: 0.5,
      usage: { inputTokens: 40, outputTokens: 200, reasoningTokens: 64 },
      costUsd: 0.000126,
      attempts: [
        attempt({ index: 0, provider: 'openai', model: 'gpt-4o-mini', outcome: 'ok', startedAtMs: t0 + 1001, durationMs: 949, timeToFirstChunkMs: 180.25, httpStatus: 200, usage: { inputTokens: 40, outputTokens: 200, reasoningTokens: 64 }, costUsd: 0.000126 }),
      ],
    },
    retried: {
      ...base,
      callId: 'call-retried',
      startedAtMs: t0 + 2000,
      spanId: 'd7ad6b7169203333',
      feature: 'search',
      route: 'search',
      finalProvider: 'openai',
      finalModel: 'gpt-4o-mini',
      outcome: 'ok',
      httpStatus: 200,
      attemptCount: 2,
      retryCount: 1,
      fallbackPath: ['openai/gpt-4o-mini'],
      latencyMs: 700,
      overheadMs: 1.25,
      usage: { inputTokens: 10, outputTokens: 5 },
      costUsd: 0.0000045,
      attempts: [
        attempt({ index: 0, provider: 'openai', model: 'gpt-4o-mini', outcome: 'error', errorType: 'upstream_error', startedAtMs: t0 + 2001, durationMs: 200, httpStatus: 500 }),
        attempt({ index: 1, tryNumber: 2, provider: 'openai', model: 'gpt-4o-mini', outcome: 'ok', startedAtMs: t0 + 2301, durationMs: 398, httpStatus: 200, usage: { inputTokens: 10, outputTokens: 5 }, costUsd: 0.0000045 }),
      ],
    },
    fallback: {
      ...base,
      callId: 'call-fallback',
      startedAtMs: t0 + 3000,
      spanId: 'e7ad6b7169203334',
      feature: 'search',
      route: 'search',
      finalProvider: 'deepseek',
      finalModel: 'deepseek-chat',
      outcome: 'ok',
      httpStatus: 200,
      attemptCount: 2,
      retryCount: 0,
      fallbackPath: ['openai/gpt-4o-mini', 'deepseek/deepseek-chat'],
      latencyMs: 1300,
      overheadMs: 1,
      usage: { inputTokens: 1000, outputTokens: 500, cacheWriteTokens: 200 },
      costUsd: 0.00082,
      attempts: [
        attempt({ index: 0, provider: 'openai', model: 'gpt-4o-mini', outcome: 'error', errorType: 'rate_limited', startedAtMs: t0 + 3001, durationMs: 50, httpStatus: 429 }),
        attempt({ index: 1, targetIndex: 1, provider: 'deepseek', model: 'deepseek-chat', outcome: 'ok', startedAtMs: t0 + 3060, durationMs: 1200, httpStatus: 200, usage: { inputTokens: 1000, outputTokens: 500, cacheWriteTokens: 200 }, costUsd: 0.00082 }),
      ],
    },
    failure: {
      ...base,
      callId: 'call-failure',
      startedAtMs: t0 + 4000,
      spanId: 'f7ad6b7169203335',
      feature: 'summarize',
      route: 'summarize',
      requestedModel: 'fast',
      finalProvider: 'deepseek',
      finalModel: 'deepseek-chat',
      outcome: 'error',
      errorType: 'upstream_unavailable',
      httpStatus: 503,
      attemptCount: 2,
      retryCount: 0,
      fallbackPath: ['openai/gpt-4o-mini', 'deepseek/deepseek-chat'],
      latencyMs: 30050,
      overheadMs: 2,
      usage: {},
      costUsd: null,
      attempts: [
        attempt({ index: 0, provider: 'openai', model: 'gpt-4o-mini', outcome: 'error', errorType: 'timeout', startedAtMs: t0 + 4001, durationMs: 30000 }),
        attempt({ index: 1, targetIndex: 1, provider: 'deepseek', model: 'deepseek-chat', outcome: 'error', errorType: 'upstream_unavailable', startedAtMs: t0 + 34002, durationMs: 40, httpStatus: 503 }),
      ],
    },
  };
}

/** `YYYY-MM-DD hh:mm:ss.mmm` as ClickHouse prints DateTime64(3, 'UTC'). */
export function chTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** N simple records for volume and fault tests; cost i * 0.001 (exact in binary? no: sum compared rounded). */
export function bulkRecord(i: number, now: number, feature = 'bulk'): CallRecord {
  return {
    callId: `bulk-${i}`,
    startedAtMs: now - 60_000 + (i % 1000),
    traceId: i.toString(16).padStart(32, '0'),
    spanId: i.toString(16).padStart(16, '0'),
    feature,
    route: feature,
    operation: 'chat',
    path: '/v1/chat/completions',
    streamed: i % 2 === 0,
    requestedModel: 'gpt-4o-mini',
    finalProvider: 'openai',
    finalModel: 'gpt-4o-mini',
    outcome: 'ok',
    httpStatus: 200,
    attemptCount: 1,
    retryCount: 0,
    fallbackPath: ['openai/gpt-4o-mini'],
    latencyMs: 100 + (i % 50),
    overheadMs: 0.5,
    usage: { inputTokens: 10 + (i % 7), outputTokens: 5 },
    costUsd: (i % 13) * 0.000125,
    priceTableVersion: '2025-06-01',
    configHash: 'bulk',
    resource: RESOURCE,
    attempts: [],
  };
}
