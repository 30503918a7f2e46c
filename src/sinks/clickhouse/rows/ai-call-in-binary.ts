import type { AttemptRecord, CallRecord } from '../../../core/call-record.js';
import type { Usage } from '../../../core/usage.js';
import type { AttributeValue } from '@opentelemetry/api';
import type { EndedSpan } from '../../../telemetry/ended-span.js';
import { type AiCallInSpans, NO_SPANS, firstSpan } from './ai-call-in-row.js';
import {
  bool,
  byte,
  dateTime64ms,
  dateTime64ns,
  f64,
  f64OrNull,
  f64OrNullStrict,
  nullableStr,
  str,
  strOrEmpty,
  u16,
  u16OrZero,
  u32,
  u64,
  u64OrZero,
  varint,
  zeros,
} from './binary-values.js';
import { ColumnRun } from './column-run.js';
import { attrString, attributesToMap } from './otel-span-row.js';
import { RowBytes } from './row-bytes.js';
import type { CarriedSpan } from './span-derivation.js';

/**
 * One `ai_calls_in_v2` row (ddl/ai-calls-in-v2.ts) in RowBinary: the same values, in the same
 * column order, as the JSONCompactEachRow row of rows/ai-call-in-row.ts (`toAiCallInValues` is the
 * reference for both), about a fifth fewer bytes and no number or date text to format. The insert
 * names the columns, so the order is the column list's.
 *
 * Returns false, having written nothing, for a record with a value RowBinary cannot carry as the
 * text path would (binary-values.ts sets `w.bad`): the sink then writes that record as
 * JSONCompactEachRow in a batch of its own format. May throw for a record that is not a record at
 * all (the caller rolls back and tries the JSON path, which drops it if it throws too).
 */
export function writeAiCallInBinaryRow(w: RowBytes, r: CallRecord, spans: AiCallInSpans = NO_SPANS): boolean {
  const start = w.pos;
  w.bad = false;
  writeCallColumns(w, r);
  if (!w.bad) {
    const any = firstSpan(spans);
    if (any === undefined) {
      byte(w, 0); // resource_attributes: {}
      writeNoCallSpan(w, '');
    } else {
      const resource = resourceBytes(any);
      if (resource === null) w.bad = true;
      else w.bytes(resource);
      if (spans.call === undefined) writeNoCallSpan(w, any.traceState ?? '');
      else writeCallSpan(w, spans.call);
    }
  }
  const attempts = r.attempts;
  if (!w.bad && !Array.isArray(attempts)) w.bad = true;
  if (!w.bad) {
    varint(w, attempts.length);
    for (let i = 0; i < attempts.length && !w.bad; i++) {
      const a = attempts[i];
      if (typeof a !== 'object' || a === null) w.bad = true;
      else writeAttempt(w, a, spans.attempts[i]);
    }
  }
  if (w.bad) {
    w.pos = start;
    w.bad = false;
    return false;
  }
  w.endBinaryRow();
  return true;
}

// Runs of columns that repeat from call to call, copied as bytes (see ColumnRun; the JSON writer
// keeps its own, of its own bytes).
const ROUTE_RUN = new ColumnRun();
const MODEL_RUN = new ColumnRun();
const CONFIG_RUN = new ColumnRun();
const TARGET_RUN = new ColumnRun();
const OUTCOME_RUN = new ColumnRun();

/** The `ai_calls` columns (rows/ai-call-row.ts `toAiCallRow`), in order. */
function writeCallColumns(w: RowBytes, r: CallRecord): void {
  str(w, r.callId);
  dateTime64ms(w, r.startedAtMs);
  str(w, r.traceId);
  str(w, r.spanId);
  const { feature, route, operation, path: urlPath, streamed } = r;
  if (!ROUTE_RUN.copy(w, feature, route, operation, urlPath, streamed)) {
    str(w, feature);
    str(w, route);
    str(w, operation);
    str(w, urlPath);
    bool(w, streamed);
    ROUTE_RUN.wrote(w, feature, route, operation, urlPath, streamed);
  }
  const { requestedModel, finalProvider, finalModel, outcome, errorType } = r;
  if (!MODEL_RUN.copy(w, requestedModel, finalProvider, finalModel, outcome, errorType)) {
    str(w, requestedModel);
    str(w, finalProvider);
    str(w, finalModel);
    str(w, outcome);
    strOrEmpty(w, errorType);
    MODEL_RUN.wrote(w, requestedModel, finalProvider, finalModel, outcome, errorType);
  }
  u16(w, r.httpStatus);
  u16(w, r.attemptCount);
  u16(w, r.retryCount);
  const path = r.fallbackPath;
  if (!Array.isArray(path)) {
    w.bad = true;
    return;
  }
  varint(w, path.length);
  for (const p of path) str(w, p);
  if (w.bad) return;
  str(w, path.length === 1 ? path[0] : path.join('>'));
  f64(w, r.latencyMs);
  f64OrNull(w, r.timeToFirstChunkMs);
  f64(w, r.overheadMs);
  const u = r.usage;
  if (typeof u !== 'object' || u === null) {
    w.bad = true;
    return;
  }
  writeUsage(w, u);
  f64OrNullStrict(w, r.costUsd);
  const { priceTableVersion, configHash } = r;
  const res = r.resource;
  if (typeof res !== 'object' || res === null) {
    w.bad = true;
    return;
  }
  const { service, namespace, pod, workload } = res;
  if (!CONFIG_RUN.copy(w, priceTableVersion, configHash, service, namespace, pod, workload)) {
    str(w, priceTableVersion);
    str(w, configHash);
    str(w, service);
    str(w, namespace);
    str(w, pod);
    str(w, workload);
    CONFIG_RUN.wrote(w, priceTableVersion, configHash, service, namespace, pod, workload);
  }
}

/** The five token columns (UInt64; unreported counts are 0). */
function writeUsage(w: RowBytes, u: Usage): void {
  u64OrZero(w, u.inputTokens);
  u64OrZero(w, u.outputTokens);
  u64OrZero(w, u.cacheReadTokens);
  u64OrZero(w, u.cacheWriteTokens);
  u64OrZero(w, u.reasoningTokens);
}

// A resource is the same object on every span of a process: its Map(LowCardinality(String), String)
// bytes are made once (null: a value RowBinary cannot carry, so such rows take the JSON path).
const RESOURCES = new WeakMap<object, Uint8Array | null>();

function resourceBytes(span: EndedSpan): Uint8Array | null {
  const attrs = span.resource.attributes;
  let b = RESOURCES.get(attrs);
  if (b === undefined) {
    const w = new RowBytes(1024);
    const entries = Object.entries(attributesToMap(attrs));
    varint(w, entries.length);
    for (const [k, v] of entries) {
      str(w, k);
      str(w, v);
    }
    b = w.bad ? null : new Uint8Array(w.buf.subarray(0, w.pos));
    RESOURCES.set(attrs, b);
  }
  return b;
}

/** The call `span` tuple of a row whose call span is not carried: `view` false, empty but for the trace state. */
function writeNoCallSpan(w: RowBytes, traceState: string): void {
  byte(w, 0); // view
  byte(w, 0); // parent ''
  str(w, traceState);
  byte(w, 0); // name ''
  writeEmptySpanTail(w);
}

/** start (1970-01-01 00:00:00.000000000), duration 0, status NULL, values [], set 0 */
function writeEmptySpanTail(w: RowBytes): void {
  zeros(w, 16);
  byte(w, 1);
  zeros(w, 5);
}

function writeCallSpan(w: RowBytes, carried: CarriedSpan): void {
  const c = carried.span;
  byte(w, 1);
  strOrEmpty(w, c.parentSpanId);
  strOrEmpty(w, c.traceState);
  str(w, c.name);
  writeSpanTail(w, carried);
}

/** start, duration, status, values, set of a carried span. */
function writeSpanTail(w: RowBytes, carried: CarriedSpan): void {
  const span = carried.span;
  // spanTimes (millisToHrTime) without its arrays; an end before the start is a duration of 0.
  const startMs = span.startMs;
  const endMs = span.endMs;
  const startS = Math.trunc(startMs / 1000);
  const startNs = Math.round((startMs % 1000) * 1e6);
  dateTime64ns(w, startS, startNs);
  u64(w, Math.max(0, (Math.trunc(endMs / 1000) - startS) * 1e9 + (Math.round((endMs % 1000) * 1e6) - startNs)));
  const status = span.errorMessage;
  if (status === undefined) byte(w, 1);
  else {
    byte(w, 0);
    str(w, status);
  }
  const values = carried.values;
  varint(w, values.length);
  for (const v of values) nullableStr(w, v === null || v === undefined || typeof v === 'string' ? v : carriedText(v));
  u32(w, carried.set);
}

/** One `attempts` element (rows/ai-attempt-rows.ts `toAiAttemptRows`, less the call's own columns), then its span. */
function writeAttempt(w: RowBytes, a: AttemptRecord, carried: CarriedSpan | undefined): void {
  dateTime64ms(w, a.startedAtMs);
  const { index, targetIndex, tryNumber, provider, providerName, model, responseModel, serverAddress } = a;
  if (!TARGET_RUN.copy(w, index, targetIndex, tryNumber, provider, providerName, model, responseModel, serverAddress)) {
    u16(w, index);
    u16(w, targetIndex);
    u16(w, tryNumber);
    str(w, provider);
    str(w, providerName);
    str(w, model);
    strOrEmpty(w, responseModel);
    str(w, serverAddress);
    TARGET_RUN.wrote(w, index, targetIndex, tryNumber, provider, providerName, model, responseModel, serverAddress);
  }
  strOrEmpty(w, a.spanId);
  const { httpStatus, outcome, errorType } = a;
  if (!OUTCOME_RUN.copy(w, httpStatus, outcome, errorType)) {
    u16OrZero(w, httpStatus);
    str(w, outcome);
    strOrEmpty(w, errorType);
    OUTCOME_RUN.wrote(w, httpStatus, outcome, errorType);
  }
  f64(w, a.durationMs);
  f64OrNull(w, a.timeToFirstChunkMs);
  const u = a.usage;
  if (u === undefined || u === null) zeros(w, 40);
  else writeUsage(w, u);
  f64OrNullStrict(w, a.costUsd);
  if (carried === undefined) {
    byte(w, 0); // view
    byte(w, 0); // name ''
    writeEmptySpanTail(w);
    return;
  }
  byte(w, 1);
  str(w, carried.span.name);
  writeSpanTail(w, carried);
}

// The carried values that are not strings repeat from call to call (a CLIENT span's `server.port`,
// its `gen_ai.response.finish_reasons` of one reason): their text is kept from the last call.
let lastNumber = 0;
let lastNumberText = '0';
let lastReason: string | undefined;
let lastReasonsText = '';

/** `attrString(v)` for a carried value that is not a string. */
function carriedText(v: AttributeValue): string {
  if (typeof v === 'number') {
    if (v !== lastNumber) {
      lastNumber = v;
      lastNumberText = String(v);
    }
    return lastNumberText;
  }
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'string') {
    if (v[0] !== lastReason) {
      lastReason = v[0];
      lastReasonsText = JSON.stringify(v);
    }
    return lastReasonsText;
  }
  return attrString(v);
}
