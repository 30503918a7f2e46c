import type { ResourceInfo } from '../src/core/call-record.js';
import type { CallRecorder } from '../src/telemetry/recorder-types.js';

/** Names a synthetic call carries; the defaults are the bench's. */
export interface SyntheticNames {
  feature?: string;
  requestedModel?: string;
}

/**
 * One synthetic non-streamed chat call through a recorder: a SERVER span, one CLIENT attempt, and
 * the call's record, shaped as the gateway builds them, for the harnesses and tests that drive the
 * telemetry and the ClickHouse sink without a proxy (`npm run bench:sink`). `n` varies the
 * duration and the response id.
 */
export function syntheticCall(recorder: CallRecorder, resource: ResourceInfo, n: number, callId: string, names: SyntheticNames = {}): void {
  const feature = names.feature ?? 'bench';
  const requestedModel = names.requestedModel ?? 'gpt-4o-mini';
  const now = Date.now();
  const call = recorder.startCall({ operation: 'chat', method: 'POST', path: '/v1/chat/completions', startedAtMs: now });
  const attempt = call.startAttempt({
    operation: 'chat',
    provider: 'mock',
    providerName: 'openai',
    model: 'gpt-4o-mini',
    stream: false,
    serverAddress: '127.0.0.1',
    serverPort: 8080,
    startedAtMs: now,
  });
  const usage = { inputTokens: 75, outputTokens: 51, cacheReadTokens: 0, reasoningTokens: 0 };
  const durationMs = 12 + (n % 97) / 10;
  // Plain literals, as the gateway builds them (spread copies can leave records in dictionary mode).
  const a = {
    index: 0,
    targetIndex: 0,
    tryNumber: 1,
    provider: 'mock',
    providerName: 'openai',
    model: 'gpt-4o-mini',
    responseModel: 'gpt-4o-mini-2024-07-18',
    responseId: `chatcmpl-${n}`,
    finishReasons: ['stop'],
    startedAtMs: now,
    durationMs,
    httpStatus: 200,
    outcome: 'ok' as const,
    usage,
    costUsd: 0.00004185,
    serverAddress: '127.0.0.1',
    serverPort: 8080,
    spanId: attempt.spanId,
  };
  attempt.end(a);
  call.end({
    callId,
    startedAtMs: now,
    traceId: call.traceId,
    spanId: call.spanId,
    feature,
    route: feature,
    operation: 'chat',
    path: '/v1/chat/completions',
    streamed: false,
    requestedModel,
    finalProvider: 'mock',
    finalModel: 'gpt-4o-mini',
    outcome: 'ok',
    httpStatus: 200,
    attemptCount: 1,
    retryCount: 0,
    fallbackPath: ['mock/gpt-4o-mini'],
    latencyMs: durationMs + 0.3,
    overheadMs: 0.3,
    usage,
    costUsd: 0.00004185,
    priceTableVersion: 'bench',
    configHash: 'bench',
    resource,
    attempts: [a],
  });
}
