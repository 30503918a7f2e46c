import type { AttributeValue } from '@opentelemetry/api';
import type { AttemptRecord, CallRecord } from '../../../core/call-record.js';
import { utf8 } from '../../../core/json-bytes.js';
import { type EndedSpan, spanTimes } from '../../../telemetry/ended-span.js';
import type { AttemptStart } from '../../../telemetry/recorder-types.js';
import { type AttributeWriter, writeAttemptAttributes, writeCallAttributes } from '../../../telemetry/span-attributes.js';
import { ATTEMPT_FIELDS, CLIENT_SPAN_KEYS, SERVER_SPAN_KEYS } from '../ddl/ai-calls-in.js';
import { aiCallsInV2ColumnNames } from '../ddl/ai-calls-in-v2.js';
import { type AiAttemptRow, toAiAttemptRows } from './ai-attempt-rows.js';
import { toAiCallRow, writeAiCallColumns } from './ai-call-row.js';
import { ColumnRun } from './column-run.js';
import { num, numOrNull, numOrNullStrict, numOrZero, str, strOrEmpty } from './json-values.js';
import { attrString, attributesToMap, durationNanos, serializeAttributesMap } from './otel-span-row.js';
import type { RowBytes } from './row-bytes.js';
import type { CarriedSpan } from './span-derivation.js';
import { writeDateTime64ms, writeDateTime64ns } from './time-bytes.js';
import { formatDateTime64ns } from './time-format.js';

/**
 * One `ai_calls_in_v2` row (ddl/ai-calls-in-v2.ts) as JSONCompactEachRow: the values in column
 * order (no keys), the `ai_calls` columns, then `resource_attributes`, `span` and `attempts`, the
 * last two as positional JSON arrays (the insert sets `input_format_json_named_tuples_as_objects =
 * 0`). Without the keys a row is about a quarter smaller, and every byte a row holds costs the
 * saturated sidecar (docs/benchmarks.md, eighth round).
 *
 * `call` and `attempts[i]` are the lean spans the sink hands to the views, with what the row carries
 * for them (rows/span-derivation.ts; undefined: the span is not made by the views: not sampled, or
 * written by the sink itself). The resource and the call's trace state are taken from them, so a
 * call with no span for the views has an empty `resource_attributes` and a `span` whose `view` is
 * false.
 */
export interface AiCallInSpans {
  call: CarriedSpan | undefined;
  /** By attempt index; shorter than the attempts when the last ones have none. */
  attempts: readonly (CarriedSpan | undefined)[];
}

export const NO_SPANS: AiCallInSpans = { call: undefined, attempts: [] };

type SpanTuple = [boolean, string, string, string, string, number, string | null, (string | null)[], number];
type AttemptSpanTuple = [boolean, string, string, number, string | null, (string | null)[], number];

const NO_ATTEMPT_SPAN: AttemptSpanTuple = [false, '', '1970-01-01 00:00:00.000000000', 0, null, [], 0];

/** The carried values as `span.values` holds them: strings, `null` where not set. */
function spanValues(c: CarriedSpan): (string | null)[] {
  return c.values.map((v) => (v === null ? null : attrString(v)));
}

function times(span: EndedSpan): { start: string; duration: number } {
  const [start, end] = spanTimes(span.startMs, span.endMs);
  return { start: formatDateTime64ns(start), duration: durationNanos(start, end) };
}

/** The span a row takes its resource and trace state from: the call's, else the first attempt's. */
export function firstSpan(spans: AiCallInSpans): EndedSpan | undefined {
  if (spans.call !== undefined) return spans.call.span;
  for (const s of spans.attempts) if (s !== undefined) return s.span;
  return undefined;
}

/** The row as an object, keyed by column; `resource_attributes` and `span` only when a span is carried. */
export function toAiCallInRow(r: CallRecord, spans: AiCallInSpans = NO_SPANS): Record<string, unknown> {
  const row: Record<string, unknown> = { ...toAiCallRow(r) };
  const any = firstSpan(spans);
  if (any !== undefined) {
    row.resource_attributes = attributesToMap(any.resource.attributes);
    const carried = spans.call;
    const c = carried?.span;
    const t = c === undefined ? undefined : times(c);
    const span: SpanTuple = [
      c !== undefined,
      c?.parentSpanId ?? '',
      any.traceState ?? '',
      c?.name ?? '',
      t?.start ?? NO_ATTEMPT_SPAN[2],
      t?.duration ?? 0,
      c?.errorMessage ?? null,
      carried === undefined ? [] : spanValues(carried),
      carried?.set ?? 0,
    ];
    row.span = span;
  }
  row.attempts = toAiAttemptRows(r).map((a, i) => {
    const carried = spans.attempts[i];
    const tuple: unknown[] = ATTEMPT_FIELDS.map((f) => a[f as keyof AiAttemptRow]);
    if (carried === undefined) tuple.push(NO_ATTEMPT_SPAN);
    else {
      const s = carried.span;
      const t = times(s);
      tuple.push([true, s.name, t.start, t.duration, s.errorMessage ?? null, spanValues(carried), carried.set]);
    }
    return tuple;
  });
  return row;
}

const COLUMNS = aiCallsInV2ColumnNames();
const NO_CALL_SPAN: SpanTuple = [false, '', '', '', NO_ATTEMPT_SPAN[2], 0, null, [], 0];
const DEFAULTS: Record<string, unknown> = { resource_attributes: {}, span: NO_CALL_SPAN };

/** The row's values in column order (the reference the fast path matches, and its fallback for odd values). */
export function toAiCallInValues(r: CallRecord, spans: AiCallInSpans = NO_SPANS): unknown[] {
  const row = toAiCallInRow(r, spans);
  return COLUMNS.map((c) => {
    if (c in row) return row[c];
    if (c in DEFAULTS) return DEFAULTS[c];
    throw new Error(`ai_calls_in column ${c} has no value`);
  });
}

/** The row's line (without its `\n`): `JSON.stringify(toAiCallInValues(r, spans))`. */
export function aiCallInLine(r: CallRecord, spans: AiCallInSpans = NO_SPANS): string {
  return JSON.stringify(toAiCallInValues(r, spans));
}

const F = {
  noSpans: utf8(',{},[false,"","","","1970-01-01 00:00:00.000000000",0,null,[],0]'),
  span: utf8(',[true,"'),
  noCallSpan: utf8(',[false,"","'),
  noCallSpanTail: utf8('","","1970-01-01 00:00:00.000000000",0,null,[],0]'),
  quoteComma: utf8('","'),
  quote: utf8('"'),
  nullValue: utf8('null'),
  attempts: utf8(',['),
  noAttemptSpan: utf8(',[false,"","1970-01-01 00:00:00.000000000",0,null,[],0]]'),
  attemptSpan: utf8(',[true,'),
  trueString: utf8('"true"'),
  falseString: utf8('"false"'),
  end: utf8(']]'),
};

const RESOURCES = new WeakMap<object, Uint8Array>();

function resourceBytes(span: EndedSpan): Uint8Array {
  const attrs = span.resource.attributes;
  let b = RESOURCES.get(attrs);
  if (b === undefined) {
    b = utf8(serializeAttributesMap(attrs));
    RESOURCES.set(attrs, b);
  }
  return b;
}

/** One position of a span kind's values: the last value there, and its bytes once it came twice. */
interface Slot {
  value: unknown;
  bytes: Uint8Array | null;
}

const MAX_KEPT_LENGTH = 256;

/**
 * Writes the attributes' values as a JSON array of strings and nulls (`spanValues`, as bytes). Most
 * values repeat from call to call at their position (method, path, feature, route, models,
 * provider, counts, status): a position whose value came twice in a row keeps its encoded bytes
 * (with the comma before it) and copies them while the value stays the same.
 */
class SpanValuesBytes implements AttributeWriter {
  w: RowBytes | null = null;
  n = 0;
  slots: Slot[] = [];
  readonly byKind = new Map<number, Slot[]>();

  begin(w: RowBytes, kind: number): void {
    this.w = w;
    this.n = 0;
    let slots = this.byKind.get(kind);
    if (slots === undefined) {
      slots = [];
      if (this.byKind.size < 8) this.byKind.set(kind, slots);
    }
    this.slots = slots;
  }

  attr(_key: string, value: AttributeValue | null | undefined): void {
    const w = this.w as RowBytes;
    const i = this.n++;
    const v = value === undefined ? null : value;
    let slot = this.slots[i];
    if (slot === undefined) {
      slot = { value: undefined, bytes: null };
      if (i < 64) this.slots[i] = slot;
    }
    if (v === slot.value && slot.bytes !== null) {
      w.bytes(slot.bytes);
      return;
    }
    const start = w.pos;
    if (i > 0) w.byte(44);
    if (v === null) w.bytes(F.nullValue);
    else if (typeof v === 'string') w.string(v);
    else if (typeof v === 'number') {
      w.byte(34);
      w.numberString(v);
      w.byte(34);
    } else if (typeof v === 'boolean') w.bytes(v ? F.trueString : F.falseString);
    else w.string(attrString(v));
    if (v === slot.value && (v === null || typeof v !== 'object')) slot.bytes = new Uint8Array(w.buf.subarray(start, w.pos));
    else {
      slot.value = typeof v === 'string' && v.length > MAX_KEPT_LENGTH ? undefined : v;
      slot.bytes = null;
    }
  }
}

const values = new SpanValuesBytes();

/** `[values],<set>` of a carried span. */
function writeValues(w: RowBytes, carried: CarriedSpan): void {
  values.begin(w, carried.span.kind);
  w.byte(91);
  try {
    for (const v of carried.values) values.attr('', v);
  } finally {
    values.w = null;
  }
  w.byte(93);
  w.byte(44);
  w.number(carried.set);
}

/** `"<start>",<duration>,<status>,[values],<set>` of a carried span. */
function writeSpanTail(w: RowBytes, carried: CarriedSpan): void {
  const span = carried.span;
  const [start, end] = spanTimes(span.startMs, span.endMs);
  w.byte(34);
  writeDateTime64ns(w, start);
  w.byte(34);
  w.byte(44);
  w.number(durationNanos(start, end));
  w.byte(44);
  const status = span.errorMessage;
  if (status === undefined) w.bytes(F.nullValue);
  else str(w, status);
  w.byte(44);
  writeValues(w, carried);
}

function writeCallSpan(w: RowBytes, spans: AiCallInSpans, any: EndedSpan): void {
  const carried = spans.call;
  if (carried === undefined) {
    w.bytes(F.noCallSpan);
    w.stringContent(any.traceState ?? '');
    w.bytes(F.noCallSpanTail);
    return;
  }
  const c = carried.span;
  w.bytes(F.span);
  w.stringContent(c.parentSpanId ?? '');
  w.bytes(F.quoteComma);
  w.stringContent(c.traceState ?? '');
  w.bytes(F.quoteComma);
  w.stringContent(c.name);
  w.bytes(F.quote);
  w.byte(44);
  writeSpanTail(w, carried);
  w.byte(93);
}

const TARGET_RUN = new ColumnRun();
const OUTCOME_RUN = new ColumnRun();

/** One `attempts` element: `toAiCallInRow`'s tuple for it, as bytes. */
function writeAttempt(w: RowBytes, a: AttemptRecord, carried: CarriedSpan | undefined): void {
  w.byte(91);
  w.byte(34);
  writeDateTime64ms(w, a.startedAtMs);
  w.byte(34);
  const { index, targetIndex, tryNumber, provider, providerName, model, responseModel, serverAddress } = a;
  if (!TARGET_RUN.copy(w, index, targetIndex, tryNumber, provider, providerName, model, responseModel, serverAddress)) {
    w.byte(44);
    num(w, index);
    w.byte(44);
    num(w, targetIndex);
    w.byte(44);
    num(w, tryNumber);
    w.byte(44);
    str(w, provider);
    w.byte(44);
    str(w, providerName);
    w.byte(44);
    str(w, model);
    w.byte(44);
    strOrEmpty(w, responseModel);
    w.byte(44);
    str(w, serverAddress);
    TARGET_RUN.wrote(w, index, targetIndex, tryNumber, provider, providerName, model, responseModel, serverAddress);
  }
  w.byte(44);
  strOrEmpty(w, a.spanId);
  const { httpStatus, outcome, errorType } = a;
  if (!OUTCOME_RUN.copy(w, httpStatus, outcome, errorType)) {
    w.byte(44);
    numOrZero(w, httpStatus);
    w.byte(44);
    str(w, outcome);
    w.byte(44);
    strOrEmpty(w, errorType);
    OUTCOME_RUN.wrote(w, httpStatus, outcome, errorType);
  }
  w.byte(44);
  num(w, a.durationMs);
  w.byte(44);
  numOrNull(w, a.timeToFirstChunkMs);
  const u = a.usage;
  for (const n of u === undefined || u === null
    ? NO_USAGE
    : [u.inputTokens, u.outputTokens, u.cacheReadTokens, u.cacheWriteTokens, u.reasoningTokens]) {
    w.byte(44);
    numOrZero(w, n);
  }
  w.byte(44);
  numOrNullStrict(w, a.costUsd);
  if (carried === undefined) {
    w.bytes(F.noAttemptSpan);
    return;
  }
  w.bytes(F.attemptSpan);
  str(w, carried.span.name);
  w.byte(44);
  writeSpanTail(w, carried);
  w.byte(93);
  w.byte(93);
}

const NO_USAGE = [0, 0, 0, 0, 0];

/**
 * Writes `aiCallInLine(r, spans)` and its `\n` into `w`, byte for byte, without the intermediate
 * objects. A record with a field of an unexpected type is written on the object path. Throws (having
 * written part of a row) for a record that cannot be serialized at all: the caller rolls it back.
 */
export function writeAiCallInRow(w: RowBytes, r: CallRecord, spans: AiCallInSpans = NO_SPANS): void {
  const start = w.pos;
  writeAiCallColumns(w, r);
  const attempts = r.attempts;
  if (!w.bad && !Array.isArray(attempts)) w.bad = true;
  if (!w.bad) {
    const any = firstSpan(spans);
    if (any !== undefined) {
      w.byte(44);
      w.bytes(resourceBytes(any));
      writeCallSpan(w, spans, any);
    } else w.bytes(F.noSpans);
    w.bytes(F.attempts);
    for (let i = 0; i < attempts.length && !w.bad; i++) {
      const a = attempts[i];
      if (typeof a !== 'object' || a === null) w.bad = true;
      else {
        if (i > 0) w.byte(44);
        writeAttempt(w, a, spans.attempts[i]);
      }
    }
    w.bytes(F.end);
  }
  if (w.bad) {
    w.pos = start;
    w.native(aiCallInLine(r, spans));
  }
  w.endRow();
}

/**
 * Whether the span attributes the code writes are, key for key and in order, those the views name
 * (`SERVER_SPAN_KEYS`, `CLIENT_SPAN_KEYS`, fixed by the migration). The attribute lists hand over
 * every key on every call (span-attributes.ts), so one pass over placeholder records tells.
 */
export function viewKeysMatch(): boolean {
  const keys: string[] = [];
  const w: AttributeWriter = { attr: (k) => keys.push(k) };
  const usage = {};
  const call = { fallbackPath: [''], usage, outcome: 'ok' } as unknown as CallRecord;
  writeCallAttributes(w, '', '', call, true);
  const server = keys.splice(0);
  writeAttemptAttributes(w, {} as AttemptStart, { usage } as unknown as AttemptRecord);
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((k, i) => k === b[i]);
  return same(server, SERVER_SPAN_KEYS) && same(keys, CLIENT_SPAN_KEYS);
}
