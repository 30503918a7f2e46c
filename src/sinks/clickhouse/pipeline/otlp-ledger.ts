import type { Resource } from '@opentelemetry/resources';
import type { CallRecord } from '../../../core/call-record.js';
import { RequestFraming } from '../../../telemetry/lean-otlp/otlp-request-frame.js';
import { SpanBytes } from '../../../telemetry/lean-otlp/span-bytes.js';
import type { LentSpans, SpanLedger, SpanScope } from '../../../telemetry/span-ledger.js';
import { OTLP_IN } from '../ddl/otlp-in.js';
import { type Batch, batchToken } from './batch.js';
import { type BodyPool, POOLED_MIN } from './body-pool.js';

export interface OtlpLedgerOptions {
  /** `maxRows`: calls (SERVER spans) per batch; `maxBytes`: body bytes per batch. */
  limits: { maxRows: number; maxBytes: number };
  /** A partly filled batch goes out this long after its first span. */
  maxDelayMs: number;
  nextSeq: () => number;
  runId: string;
  submit: (batch: Batch) => void;
  bodies: BodyPool;
  /** Takes the record of a call one of whose spans the ledger did not get (the sink's row path). */
  missed: (record: CallRecord) => void;
}

/** Spans per OTLP document (one `otlp_in` row); the exporter's default batch is 512. */
export const DOC_SPANS = 1024;
const FIRST_BYTES = 64 * 1024;
const COMMA = 0x2c;
const NEWLINE = 0x0a;
const NO_BYTES = Buffer.alloc(0);

/**
 * The span ledger's writer (telemetry/span-ledger.ts): OTLP/JSON trace documents, one per line,
 * for `otlp_in` (ddl/otlp-in.ts). Spans arrive as runs the OTLP batcher already encoded, lent by
 * reference (`lendSpans`, when the ledger drains the batcher), or one by one, encoded here
 * (`encode`). The ledger's own bytes (document heads and tails, commas, the spans it encodes) go
 * into one reused byte buffer; a batch is that buffer alone, or, once a run was lent, a body in
 * parts: views of the own buffer between the lent runs, in document order, so a run the batcher
 * encoded is never copied on its way to the socket. The lenders get their memory back when delivery
 * is done with the batch (its `release`). A document closes after DOC_SPANS spans (a run taken whole
 * may take it past that) or when the resource or scope changes; a batch (one insert) goes to the
 * sink's delivery when it holds `maxRows` calls, reaches `maxBytes` (a run taken whole may take it
 * past that), `maxDelayMs` after its first span, or on `seal()`. The drained holders are drained
 * before each seal and every `maxDelayMs`. A batch's `rows` are its calls (SERVER spans). Like the
 * row writers, it never throws on the request path except what `encode` throws, and never awaits.
 */
export class OtlpLedger implements SpanLedger {
  #buf: Buffer = NO_BYTES;
  #pos = 0;
  /** Where the open document starts, or -1 when none is open. */
  #docStart = -1;
  #docSpans = 0;
  #docResource: Resource | undefined = undefined;
  #docScope: SpanScope | undefined = undefined;
  #tail: Uint8Array = NO_BYTES;
  /** The batch's body so far, once a run was lent: own bytes before `#partFrom`, and the lent runs. */
  #parts: Buffer[] = [];
  #releases: (() => void)[] = [];
  #partFrom = 0;
  #lentBytes = 0;
  #rows = 0;
  #timer: NodeJS.Timeout | undefined = undefined;
  #closed = false;
  /** Spans that came after `close()`. */
  dropped = 0;
  readonly #sources: (() => void)[] = [];
  #draining = false;
  #drainTimer: NodeJS.Timeout | undefined = undefined;
  readonly #framing = new RequestFraming();
  readonly #w = new SpanBytes(NO_BYTES);

  constructor(private readonly o: OtlpLedgerOptions) {}

  /** Calls in the batch being built. */
  get rows(): number {
    return this.#rows;
  }

  lendSpans(run: LentSpans): void {
    const { spans } = run;
    if (this.#closed || spans <= 0) {
      if (this.#closed) this.dropped += spans;
      run.release();
      return;
    }
    if (this.#docSpans > 0 && this.#docSpans + spans > DOC_SPANS) this.#closeDoc();
    this.#open(run.resource, run.scope);
    this.#room(1);
    if (this.#docSpans > 0) this.#buf[this.#pos++] = COMMA;
    this.#cutPart();
    this.#parts.push(run.bytes.subarray(run.from, run.to));
    this.#releases.push(run.release);
    this.#lentBytes += run.to - run.from;
    this.#added(spans, run.calls);
  }

  drainFrom(drain: () => void): void {
    this.#sources.push(drain);
    if (this.#drainTimer !== undefined || this.#closed) return;
    this.#drainTimer = setInterval(() => this.seal(), this.o.maxDelayMs);
    this.#drainTimer.unref();
  }

  encode<T>(resource: Resource, scope: SpanScope, encode: (w: SpanBytes, span: T) => void, span: T, call: boolean): void {
    if (this.#closed) {
      this.dropped++;
      return;
    }
    this.#open(resource, scope);
    const w = this.#w;
    const mark = this.#pos;
    w.reset(this.#buf, mark);
    try {
      if (this.#docSpans > 0) w.byte(COMMA);
      encode(w, span);
    } catch (err) {
      this.#buf = w.buf;
      this.#pos = mark;
      w.reset(NO_BYTES, 0);
      // A document whose first span failed is not opened at all.
      if (this.#docSpans === 0) {
        this.#pos = this.#docStart;
        this.#docStart = -1;
      }
      throw err;
    }
    this.#buf = w.buf;
    this.#pos = w.pos;
    w.reset(NO_BYTES, 0);
    this.#added(1, call ? 1 : 0);
  }

  missed(record: CallRecord): void {
    this.o.missed(record);
  }

  /** Drains the holders, then sends what is buffered as a batch (flush, close, timers). */
  seal(): void {
    this.#drain();
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#closeDoc();
    if (this.#pos === 0) return;
    if (this.#parts.length > 0) {
      this.#sealParts();
      return;
    }
    const bytes = this.#pos;
    const bodies = this.o.bodies;
    let body: Buffer;
    if (bytes >= POOLED_MIN && bytes * 2 >= this.#buf.length) {
      // A large body is the buffer itself; the next batch is written into pool memory.
      body = this.#buf.subarray(0, bytes);
      this.#buf = bodies.take(this.#buf.length);
    } else {
      body = bodies.take(bytes);
      this.#buf.copy(body, 0, 0, bytes);
    }
    this.#pos = 0;
    const seq = this.o.nextSeq();
    const batch: Batch = { seq, table: OTLP_IN, rows: this.#rows, body, bytes, token: batchToken(OTLP_IN, this.o.runId, seq) };
    this.#rows = 0;
    this.o.submit(batch);
  }

  /**
   * Sends a batch in parts: the lent runs, and views of the own buffer, which goes with the batch
   * (the next one is written into pool memory, or a fresh buffer if this one was small).
   */
  #sealParts(): void {
    this.#cutPart();
    const own = this.#buf;
    const releases = this.#releases;
    const bodies = this.o.bodies;
    const seq = this.o.nextSeq();
    const batch: Batch = {
      seq,
      table: OTLP_IN,
      rows: this.#rows,
      body: this.#parts,
      bytes: this.#pos + this.#lentBytes,
      token: batchToken(OTLP_IN, this.o.runId, seq),
      release: () => {
        bodies.give(own);
        for (const release of releases) release();
      },
    };
    this.#buf = own.length >= POOLED_MIN ? bodies.take(own.length) : NO_BYTES;
    this.#pos = 0;
    this.#partFrom = 0;
    this.#parts = [];
    this.#releases = [];
    this.#lentBytes = 0;
    this.#rows = 0;
    this.o.submit(batch);
  }

  /** The own bytes written since the last lent run become a part of the body. */
  #cutPart(): void {
    if (this.#pos > this.#partFrom) this.#parts.push(this.#buf.subarray(this.#partFrom, this.#pos));
    this.#partFrom = this.#pos;
  }

  /** Seals, and counts any later span as dropped. */
  close(): void {
    this.seal();
    this.#closed = true;
    clearInterval(this.#drainTimer);
    this.#drainTimer = undefined;
  }

  /** Has each holder hand its spans over; a seal during that (a full batch) does not drain again. */
  #drain(): void {
    if (this.#draining || this.#sources.length === 0) return;
    this.#draining = true;
    try {
      for (const drain of this.#sources) drain();
    } finally {
      this.#draining = false;
    }
  }

  #open(resource: Resource, scope: SpanScope): void {
    if (this.#docStart !== -1) {
      if (resource === this.#docResource && scope === this.#docScope) return;
      this.#closeDoc();
    }
    const { head, tail } = this.#framing.frame(resource, scope);
    this.#room(head.length);
    this.#docStart = this.#pos;
    this.#buf.set(head, this.#pos);
    this.#pos += head.length;
    this.#docResource = resource;
    this.#docScope = scope;
    this.#tail = tail;
  }

  #closeDoc(): void {
    if (this.#docStart === -1) return;
    this.#room(this.#tail.length + 1);
    this.#buf.set(this.#tail, this.#pos);
    this.#pos += this.#tail.length;
    this.#buf[this.#pos++] = NEWLINE;
    this.#docStart = -1;
    this.#docSpans = 0;
  }

  #added(spans: number, calls: number): void {
    this.#docSpans += spans;
    this.#rows += calls;
    if (this.#docSpans >= DOC_SPANS) this.#closeDoc();
    if (this.#rows >= this.o.limits.maxRows || this.#pos + this.#lentBytes >= this.o.limits.maxBytes) this.seal();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.seal();
      }, this.o.maxDelayMs);
      this.#timer.unref();
    }
  }

  /** Room for `n` more bytes (and the document's tail) in the buffer. */
  #room(n: number): void {
    const need = this.#pos + n + this.#tail.length + 1;
    if (need <= this.#buf.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(FIRST_BYTES, need, this.#buf.length * 2));
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }
}
