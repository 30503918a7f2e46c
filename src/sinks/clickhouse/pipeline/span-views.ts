import { SpanKind } from '@opentelemetry/api';
import type { CallRecord } from '../../../core/call-record.js';
import type { EndedSpan } from '../../../telemetry/ended-span.js';
import { VIEW_SCOPE } from '../ddl/ai-calls-in.js';
import { type AiCallInSpans, NO_SPANS } from '../rows/ai-call-in-row.js';
import { type CarriedSpan, carrySpan } from '../rows/span-derivation.js';

/**
 * Which lean spans the `ai_calls_in_v2` row of their call carries (its views write them to
 * `otel_traces`), and which the sink writes itself.
 *
 * A lean span that ends is parked here, keyed by its record (`ledgerRecord`), instead of being
 * queued as an `otel_traces` row. When the call's record is serialized, `take` hands over the parked
 * spans of the call and its attempts that the row can carry: same trace, ids and parent as the
 * record, the lean scope, one resource per call, and attributes the views can rebuild from the row
 * (rows/span-derivation.ts). Any other parked span of that call comes back in `direct`, to be
 * written as its own row. So every span is written exactly once, by the views or by
 * the sink. Spans whose record never reaches the sink (the sink switched off mid-call) and spans
 * parked past `maxParked` are written directly by `release`/`park`.
 */
export class SpanViews {
  #parked = new Map<object, EndedSpan>();

  constructor(
    private readonly enabled: boolean,
    private readonly maxParked = 100_000,
  ) {}

  get parked(): number {
    return this.#parked.size;
  }

  /** Parks a span for its call's row (true), or leaves it to the caller to write (false). */
  park(span: EndedSpan): boolean {
    const record = span.ledgerRecord;
    if (!this.enabled || record === undefined || this.#parked.size >= this.maxParked) return false;
    const scope = span.scope;
    if (scope.name !== VIEW_SCOPE.name || (scope.version ?? '') !== VIEW_SCOPE.version) return false;
    this.#parked.set(record, span);
    return true;
  }

  /** The spans `r`'s row carries; the parked spans of `r` it cannot carry go to `direct`. */
  take(r: CallRecord, direct: (span: EndedSpan) => void): AiCallInSpans {
    if (this.#parked.size === 0) return NO_SPANS;
    const parkedCall = this.#parked.get(r);
    let call: CarriedSpan | undefined;
    if (parkedCall !== undefined) {
      this.#parked.delete(r);
      const fits = parkedCall.kind === SpanKind.SERVER && parkedCall.traceId === r.traceId && parkedCall.spanId === r.spanId;
      call = fits ? carrySpan(parkedCall, r) : undefined;
      if (call === undefined) direct(parkedCall);
    }
    let attempts: (CarriedSpan | undefined)[] | undefined;
    const list = r.attempts;
    for (let i = 0; Array.isArray(list) && i < list.length; i++) {
      const a = list[i];
      const s = a === undefined ? undefined : this.#parked.get(a);
      if (s === undefined || a === undefined) continue;
      this.#parked.delete(a);
      const anchor = call?.span ?? attempts?.find((x) => x !== undefined)?.span ?? s;
      const fits =
        s.kind === SpanKind.CLIENT &&
        s.traceId === r.traceId &&
        s.parentSpanId === r.spanId &&
        s.spanId === (a.spanId ?? '') &&
        s.traceState === anchor.traceState &&
        s.resource.attributes === anchor.resource.attributes;
      const carried = fits ? carrySpan(s, r, a) : undefined;
      if (carried === undefined) {
        direct(s);
        continue;
      }
      attempts ??= [];
      attempts[i] = carried;
    }
    if (call === undefined && attempts === undefined) return NO_SPANS;
    return { call, attempts: attempts ?? [] };
  }

  /**
   * After each drain: the map is replaced by a new one holding what is still parked (the spans of
   * calls in flight, usually none or a few). A long-lived map that entries pass through by the
   * thousand kept them alive: in `npm run bench:sink` each young-generation GC then copied and
   * promoted about half of the calls' objects (records, spans), 8-17 ms per scavenge instead of
   * 1-2, and the spans cost 12-15 µs per call instead of 5-6. A map made per drain dies young.
   */
  renew(): void {
    const parked = this.#parked;
    if (parked.size === 0) this.#parked = new Map();
    else if (parked.size <= 1024) this.#parked = new Map(parked);
  }

  /** Hands every parked span to `direct` (flush, close). */
  release(direct: (span: EndedSpan) => void): void {
    for (const s of this.#parked.values()) direct(s);
    this.#parked.clear();
  }
}
