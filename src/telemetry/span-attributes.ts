import type { AttributeValue, Attributes } from '@opentelemetry/api';
import type { AttemptRecord, CallRecord } from '../core/call-record.js';
import type { AttemptStart } from './recorder-types.js';
import * as S from './semconv.js';

/**
 * The attributes of the SERVER and CLIENT spans, listed once for both span paths: handed one by
 * one to a writer, so each output (OTLP JSON, the ClickHouse `otel_traces` map, an Attributes object
 * for ReadableSpans, or Span.setAttribute on the SDK path in recorder.ts) takes them straight away
 * instead of building an object and walking it.
 *
 * Writers get every key at most once, in order; a null or undefined value means "not set" (the SDK's
 * setAttribute skips those), and a writer must skip it. Optional attributes are handed over as
 * undefined rather than left out, so each key keeps its place in the list from one span to the next
 * (the OTLP writer remembers heads and values by place).
 */
export interface AttributeWriter {
  attr(key: string, value: AttributeValue | null | undefined): void;
}

/**
 * With the span ledger (ClickHouse builds `ai_calls` and `ai_attempts` from the spans,
 * sinks/clickhouse/ddl/otlp-in.ts), the spans carry what the ledger needs beyond the list below,
 * after it: the SERVER span its call's cache and reasoning tokens, a CLIENT span its call's id and
 * feature (an attempt's span may reach ClickHouse in another batch than its call's). Without it the
 * lists stay as migration 6 froze them (the `ai_calls_in_v2` views rebuild spans by position).
 */
export interface LedgerIds {
  readonly callId: string;
  readonly feature: string;
}

/** The SERVER span's attributes, in order (both span paths write them through this list). */
export function writeCallAttributes(
  w: AttributeWriter,
  method: string,
  path: string,
  r: CallRecord,
  captureContent: boolean,
  ledger = false,
): void {
  w.attr(S.ATTR_HTTP_REQUEST_METHOD, method);
  w.attr(S.ATTR_URL_PATH, path);
  w.attr(S.ATTR_SWITCHYARD_CALL_ID, r.callId);
  w.attr(S.ATTR_SWITCHYARD_FEATURE, r.feature);
  w.attr(S.ATTR_SWITCHYARD_ROUTE, r.route);
  w.attr(S.ATTR_SWITCHYARD_OPERATION, r.operation);
  w.attr(S.ATTR_SWITCHYARD_OUTCOME, r.outcome);
  w.attr(S.ATTR_SWITCHYARD_STREAMED, r.streamed);
  w.attr(S.ATTR_SWITCHYARD_REQUESTED_MODEL, r.requestedModel);
  w.attr(S.ATTR_SWITCHYARD_ATTEMPT_COUNT, r.attemptCount);
  w.attr(S.ATTR_SWITCHYARD_RETRY_COUNT, r.retryCount);
  w.attr(S.ATTR_SWITCHYARD_FALLBACK_PATH, joinPath(r.fallbackPath));
  w.attr(S.ATTR_SWITCHYARD_FINAL_PROVIDER, r.finalProvider);
  w.attr(S.ATTR_SWITCHYARD_FINAL_MODEL, r.finalModel);
  w.attr(S.ATTR_SWITCHYARD_USAGE_INPUT_TOKENS, r.usage.inputTokens);
  w.attr(S.ATTR_SWITCHYARD_USAGE_OUTPUT_TOKENS, r.usage.outputTokens);
  w.attr(S.ATTR_SWITCHYARD_COST_USD, r.costUsd);
  w.attr(S.ATTR_SWITCHYARD_OVERHEAD_MS, r.overheadMs);
  w.attr(S.ATTR_SWITCHYARD_TIME_TO_FIRST_CHUNK_MS, r.timeToFirstChunkMs);
  w.attr(S.ATTR_SWITCHYARD_CONFIG_HASH, r.configHash);
  w.attr(S.ATTR_SWITCHYARD_PRICE_TABLE_VERSION, r.priceTableVersion);
  w.attr(S.ATTR_HTTP_RESPONSE_STATUS_CODE, r.httpStatus);
  const content = captureContent ? r.content : undefined;
  w.attr(S.ATTR_SWITCHYARD_CONTENT_INPUT, content?.input);
  w.attr(S.ATTR_SWITCHYARD_CONTENT_OUTPUT, content?.output);
  w.attr(S.ATTR_ERROR_TYPE, r.outcome === 'error' ? r.errorType : undefined);
  if (ledger) {
    const u = r.usage;
    w.attr(S.ATTR_SWITCHYARD_USAGE_CACHE_READ_INPUT_TOKENS, u.cacheReadTokens);
    w.attr(S.ATTR_SWITCHYARD_USAGE_CACHE_CREATION_INPUT_TOKENS, u.cacheWriteTokens);
    w.attr(S.ATTR_SWITCHYARD_USAGE_REASONING_OUTPUT_TOKENS, u.reasoningTokens);
  }
}

/** The CLIENT span's attributes, in order (both span paths write them through this list). */
export function writeAttemptAttributes(w: AttributeWriter, start: AttemptStart, r: AttemptRecord, ledger?: LedgerIds): void {
  w.attr(S.ATTR_GEN_AI_OPERATION_NAME, start.operation);
  w.attr(S.ATTR_GEN_AI_PROVIDER_NAME, start.providerName);
  w.attr(S.ATTR_GEN_AI_REQUEST_MODEL, start.model);
  w.attr(S.ATTR_GEN_AI_REQUEST_STREAM, start.stream);
  w.attr(S.ATTR_SERVER_ADDRESS, start.serverAddress);
  w.attr(S.ATTR_SWITCHYARD_PROVIDER, start.provider);
  w.attr(S.ATTR_SERVER_PORT, start.serverPort);
  w.attr(S.ATTR_SWITCHYARD_ATTEMPT_INDEX, r.index);
  w.attr(S.ATTR_SWITCHYARD_ATTEMPT_TARGET_INDEX, r.targetIndex);
  w.attr(S.ATTR_SWITCHYARD_ATTEMPT_TRY, r.tryNumber);
  w.attr(S.ATTR_GEN_AI_RESPONSE_MODEL, r.responseModel);
  w.attr(S.ATTR_GEN_AI_RESPONSE_ID, r.responseId);
  w.attr(S.ATTR_GEN_AI_RESPONSE_FINISH_REASONS, r.finishReasons);
  const u = r.usage;
  w.attr(S.ATTR_GEN_AI_USAGE_INPUT_TOKENS, u?.inputTokens);
  w.attr(S.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, u?.outputTokens);
  w.attr(S.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, u?.cacheReadTokens);
  w.attr(S.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, u?.cacheWriteTokens);
  w.attr(S.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, u?.reasoningTokens);
  const ttfc = r.timeToFirstChunkMs;
  w.attr(S.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, ttfc != null ? ttfc / 1000 : undefined);
  w.attr(S.ATTR_HTTP_RESPONSE_STATUS_CODE, r.httpStatus);
  w.attr(S.ATTR_SWITCHYARD_COST_USD, r.costUsd);
  w.attr(S.ATTR_ERROR_TYPE, r.outcome === 'error' ? r.errorType : undefined);
  if (ledger !== undefined) {
    w.attr(S.ATTR_SWITCHYARD_CALL_ID, ledger.callId);
    w.attr(S.ATTR_SWITCHYARD_FEATURE, ledger.feature);
  }
}

/** `path.join('>')`, without building a new string for the usual path of one target. */
function joinPath(path: readonly string[]): string {
  return path.length === 1 ? (path[0] as string) : path.join('>');
}

/** Collects the attributes into an Attributes object (for ReadableSpan-shaped spans). */
export class AttributesObjectWriter implements AttributeWriter {
  readonly attributes: Attributes = {};
  attr(key: string, value: AttributeValue | null | undefined): void {
    if (value != null) this.attributes[key] = value;
  }
}
