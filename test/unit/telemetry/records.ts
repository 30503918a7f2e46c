import type { AttemptRecord, CallRecord, CallSink, SinkHealth } from '../../../src/core/call-record.js';

/** Builders for finished records, as the gateway would hand them to the recorder. */
export function attemptRecord(over: Partial<AttemptRecord> & { startedAtMs: number }): AttemptRecord {
  return {
    index: 0,
    targetIndex: 0,
    tryNumber: 1,
    provider: 'openai',
    providerName: 'openai',
    model: 'gpt-4o-mini',
    responseModel: 'gpt-4o-mini-2024-07-18',
    responseId: 'chatcmpl-abc123',
    finishReasons: ['stop'],
    durationMs: 250,
    httpStatus: 200,
    outcome: 'ok',
    usage: { inputTokens: 120, outputTokens: 30, cacheReadTokens: 100, reasoningTokens: 10 },
    costUsd: 0.0012,
    serverAddress: 'api.openai.com',
    serverPort: 443,
    ...over,
  };
}

export function callRecord(over: Partial<CallRecord> & { startedAtMs: number; traceId: string; spanId: string }): CallRecord {
  return {
    callId: '0190d7a0-0000-7000-8000-000000000001',
    feature: 'support-chat',
    route: 'support-chat',
    operation: 'chat',
    path: '/v1/chat/completions',
    streamed: false,
    requestedModel: 'gpt-4o-mini',
    finalProvider: 'openai',
    finalModel: 'gpt-4o-mini',
    outcome: 'ok',
    httpStatus: 200,
    attemptCount: 1,
    retryCount: 0,
    fallbackPath: ['openai/gpt-4o-mini'],
    latencyMs: 260,
    overheadMs: 0.4,
    usage: { inputTokens: 120, outputTokens: 30, cacheReadTokens: 100, reasoningTokens: 10 },
    costUsd: 0.0012,
    priceTableVersion: '2025-01-15',
    configHash: 'cfg-1a2b3c',
    resource: { service: 'switchyard', namespace: '', pod: '', workload: '' },
    attempts: [],
    ...over,
  };
}

/** A sink at the network edge of the recorder: it keeps what it is given. */
export class CollectingSink implements CallSink {
  readonly name: string;
  readonly records: CallRecord[] = [];
  spooled = 0;
  dropped = 0;
  constructor(name = 'collect') {
    this.name = name;
  }
  write(record: CallRecord): void {
    this.records.push(record);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
  health(): SinkHealth {
    return {
      name: this.name,
      state: 'ok',
      queued: 0,
      spooled: this.spooled,
      spoolDroppedTotal: this.dropped,
      lastError: null,
      lastErrorAt: null,
    };
  }
}
