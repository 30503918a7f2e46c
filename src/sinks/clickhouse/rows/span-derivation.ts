import type { AttributeValue } from '@opentelemetry/api';
import type { AttemptRecord, CallRecord } from '../../../core/call-record.js';
import type { EndedSpan } from '../../../telemetry/ended-span.js';
import type { AttributeWriter } from '../../../telemetry/span-attributes.js';
import { CLIENT_SPAN_KEYS, SERVER_SPAN_KEYS } from '../ddl/ai-calls-in.js';

/**
 * Which span attributes the `ai_calls_in_v2` views rebuild from the row's own columns
 * (ddl/ai-calls-in-v2.ts), and which the row carries as values. Most attributes of a call's spans
 * repeat the ledger: feature, models, counts, tokens, cost. Writing them twice cost the saturated
 * sidecar about 2.8 µs per call (docs/benchmarks.md, ninth round); now a span carries a bit set
 * (`set`: which derived attributes the span has) and the values of the few attributes the row has
 * no column for (`values`).
 *
 * One list per span kind, by position in SERVER_SPAN_KEYS / CLIENT_SPAN_KEYS: `null` is carried;
 * otherwise `sql` is the view's text of the attribute (set only when its bit is) and `value` what
 * the row's column holds for it, read from the records as the ledger writer reads them.
 *
 * `carrySpan` checks every derived attribute: the view makes it only when the span's value is
 * exactly its column's value, of a type whose text ClickHouse prints as `String(v)` does (integers
 * in the column's range; finite doubles below 1e21, where JS switches to `1e+21` and ClickHouse to
 * `1e21`). A span with any other value is written as its own `otel_traces` row. The lean spans
 * take most values from the very record the row is written from (span-attributes.ts), so only the
 * CLIENT attributes taken from the attempt's start (`fromStart`) are compared with the record; a
 * unit test holds the others equal to `value`. The view-written rows equal the directly written
 * ones byte for byte (integration test).
 *
 * The lists are part of migration 6: never edit them; a change needs a new table and migration.
 */
type Check = 'string' | 'bool' | 'uint16' | 'uint64' | 'float';

export interface DerivedAttribute {
  /** The attribute's text in the view (columns of the row; an attempt's fields as `a.<name>`). */
  readonly sql: string;
  readonly check: Check;
  /** What the row's column holds for this attribute. */
  value(r: CallRecord, a: AttemptRecord | undefined): unknown;
  /** The span takes this value from elsewhere than the record (the attempt's start): compare. */
  readonly fromStart: boolean;
}

export type SpanPosition = DerivedAttribute | null;

const text =
  (column: string, fromStart = false) =>
  (check: Check, value: DerivedAttribute['value']): DerivedAttribute => ({ sql: `toString(${column})`, check, value, fromStart });
const attempt = (_r: CallRecord, a: AttemptRecord | undefined) => a as AttemptRecord;

/** Positions of SERVER_SPAN_KEYS. */
export const SERVER_POSITIONS: readonly SpanPosition[] = [
  null, // http.request.method
  text('path')('string', (r) => r.path),
  text('call_id')('string', (r) => r.callId),
  text('feature')('string', (r) => r.feature),
  text('route')('string', (r) => r.route),
  text('operation')('string', (r) => r.operation),
  text('outcome')('string', (r) => r.outcome),
  text('streamed')('bool', (r) => r.streamed),
  text('requested_model')('string', (r) => r.requestedModel),
  text('attempt_count')('uint16', (r) => r.attemptCount),
  text('retry_count')('uint16', (r) => r.retryCount),
  text('fallback_path_str')('string', (r) => joinedPath(r.fallbackPath)),
  text('final_provider')('string', (r) => r.finalProvider),
  text('final_model')('string', (r) => r.finalModel),
  text('input_tokens')('uint64', (r) => r.usage.inputTokens),
  text('output_tokens')('uint64', (r) => r.usage.outputTokens),
  text('cost_usd')('float', (r) => r.costUsd),
  text('overhead_ms')('float', (r) => r.overheadMs),
  text('ttfc_ms')('float', (r) => r.timeToFirstChunkMs),
  text('config_hash')('string', (r) => r.configHash),
  text('price_table_version')('string', (r) => r.priceTableVersion),
  text('http_status')('uint16', (r) => r.httpStatus),
  null, // switchyard.content.input
  null, // switchyard.content.output
  text('error_type')('string', (r) => r.errorType),
];

/** Positions of CLIENT_SPAN_KEYS. */
export const CLIENT_POSITIONS: readonly SpanPosition[] = [
  text('operation', true)('string', (r) => r.operation),
  text('a.provider_name', true)('string', (r, a) => attempt(r, a).providerName),
  text('a.model', true)('string', (r, a) => attempt(r, a).model),
  text('streamed', true)('bool', (r) => r.streamed),
  text('a.server_address', true)('string', (r, a) => attempt(r, a).serverAddress),
  text('a.provider', true)('string', (r, a) => attempt(r, a).provider),
  null, // server.port
  text('a.attempt_index')('uint16', (r, a) => attempt(r, a).index),
  text('a.target_index')('uint16', (r, a) => attempt(r, a).targetIndex),
  text('a.try_number')('uint16', (r, a) => attempt(r, a).tryNumber),
  text('a.response_model')('string', (r, a) => attempt(r, a).responseModel),
  null, // gen_ai.response.id
  null, // gen_ai.response.finish_reasons
  text('a.input_tokens')('uint64', (r, a) => attempt(r, a).usage?.inputTokens),
  text('a.output_tokens')('uint64', (r, a) => attempt(r, a).usage?.outputTokens),
  text('a.cache_read_tokens')('uint64', (r, a) => attempt(r, a).usage?.cacheReadTokens),
  text('a.cache_write_tokens')('uint64', (r, a) => attempt(r, a).usage?.cacheWriteTokens),
  text('a.reasoning_tokens')('uint64', (r, a) => attempt(r, a).usage?.reasoningTokens),
  text('a.ttfc_ms / 1000')('float', (r, a) => seconds(attempt(r, a).timeToFirstChunkMs)),
  text('a.http_status')('uint16', (r, a) => attempt(r, a).httpStatus),
  text('a.cost_usd')('float', (r, a) => attempt(r, a).costUsd),
  text('a.error_type')('string', (r, a) => attempt(r, a).errorType),
];

if (SERVER_POSITIONS.length !== SERVER_SPAN_KEYS.length || CLIENT_POSITIONS.length !== CLIENT_SPAN_KEYS.length) {
  throw new Error('span-derivation: the position lists must match the span key lists');
}

function joinedPath(path: readonly string[]): unknown {
  if (!Array.isArray(path)) return undefined;
  return path.length === 1 ? path[0] : path.join('>');
}

/** ms → s as the CLIENT span writes it; only a number's column can be divided in the view. */
function seconds(ms: unknown): unknown {
  return typeof ms === 'number' ? ms / 1000 : undefined;
}

function printsTheSame(v: unknown, check: Check): boolean {
  switch (check) {
    case 'string':
      return typeof v === 'string';
    case 'bool':
      return typeof v === 'boolean';
    case 'uint16':
      return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffff;
    case 'uint64':
      return Number.isSafeInteger(v) && (v as number) >= 0;
    case 'float':
      return typeof v === 'number' && Number.isFinite(v) && Math.abs(v) < 1e21 && !Object.is(v, -0);
  }
}

/** A span the row carries: the derived attributes it has (bit i: position i) and the carried values. */
export interface CarriedSpan {
  readonly span: EndedSpan;
  readonly set: number;
  /** The carried positions' values in order (null: not set). */
  readonly values: readonly (AttributeValue | null)[];
}

class Carrier implements AttributeWriter {
  positions: readonly SpanPosition[] = SERVER_POSITIONS;
  r: CallRecord | undefined = undefined;
  a: AttemptRecord | undefined = undefined;
  i = 0;
  set = 0;
  values: (AttributeValue | null)[] = [];
  ok = true;

  attr(_key: string, value: AttributeValue | null | undefined): void {
    const p = this.positions[this.i];
    const bit = this.i++;
    if (p === undefined) {
      this.ok = false;
      return;
    }
    if (p === null) {
      this.values.push(value ?? null);
      return;
    }
    if (value === undefined || value === null) return;
    if (printsTheSame(value, p.check) && (!p.fromStart || value === p.value(this.r as CallRecord, this.a))) this.set |= 1 << bit;
    else this.ok = false;
  }
}

const carrier = new Carrier();

/**
 * What `r`'s row carries for `span` (the SERVER span of `r`, or the CLIENT span of its attempt `a`),
 * or undefined when the views cannot rebuild one of its attributes (write the span itself).
 */
export function carrySpan(span: EndedSpan, r: CallRecord, a?: AttemptRecord): CarriedSpan | undefined {
  const c = carrier;
  c.positions = a === undefined ? SERVER_POSITIONS : CLIENT_POSITIONS;
  c.r = r;
  c.a = a;
  c.i = 0;
  c.set = 0;
  c.values = [];
  c.ok = true;
  try {
    span.writeAttributes(c);
  } catch {
    c.ok = false;
  } finally {
    c.r = undefined;
    c.a = undefined;
  }
  if (!c.ok || c.i !== c.positions.length) return undefined;
  return { span, set: c.set, values: c.values };
}
