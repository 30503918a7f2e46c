import type { AttemptRecord, CallRecord, Operation } from '../core/call-record.js';

/**
 * The gateway's view of telemetry. The gateway opens a call when a request arrives and an attempt
 * per upstream try; it ends each with the finished record. The implementation turns them into one
 * SERVER span per call and one CLIENT span per attempt (GenAI semconv), metrics, and hands the
 * CallRecord to the sinks. Every handle ends exactly once; ending twice is a no-op.
 */
export interface CallStart {
  operation: Operation;
  /** Inbound HTTP method and path, for the SERVER span name and http.* attributes. */
  method: string;
  path: string;
  /** W3C `traceparent` / `tracestate` from the app, if any. */
  traceparent?: string;
  tracestate?: string;
  startedAtMs: number;
}

export interface AttemptStart {
  operation: Operation;
  provider: string;
  providerName: string;
  model: string;
  stream: boolean;
  serverAddress: string;
  serverPort?: number;
  startedAtMs: number;
}

export interface AttemptHandle {
  /** W3C headers to send upstream so the trace continues (traceparent, and tracestate if any). */
  readonly propagationHeaders: Readonly<Record<string, string>>;
  readonly spanId: string;
  end(record: AttemptRecord): void;
}

export interface CallHandle {
  readonly traceId: string;
  readonly spanId: string;
  /** The call's id (UUIDv7 of its start): the record's `callId`. */
  readonly callId: string;
  /** The feature, once known (the span ledger puts it on the call's attempt spans). */
  setFeature(name: string): void;
  startAttempt(start: AttemptStart): AttemptHandle;
  /** Ends the SERVER span, records metrics and hands the record to the sinks. */
  end(record: CallRecord): void;
}

export interface CallRecorder {
  startCall(start: CallStart): CallHandle;
}
