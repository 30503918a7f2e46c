import { type Context, diag, TraceFlags } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanLedger } from '../span-ledger.js';
import { writeSpanJson } from './encode-span-json.js';
import { SpanBytes } from './span-bytes.js';
import { type Chunk, RequestFraming } from './otlp-request-frame.js';
import type { OtlpPoster } from './post-otlp.js';

/**
 * The lean OTLP/HTTP JSON span path (SWITCHYARD_OTLP_EXPORTER=lean): a batching span processor
 * that serializes each span to OTLP JSON the moment it ends, writing it straight into the buffer
 * of the batch it will go out in, then lets go of it. Nothing per span stays on the heap while it
 * waits (no span object graph, no string, no Buffer): the batch is one growing byte buffer, which
 * starts with the request's head, plus the offset where each span ends. A full batch is posted
 * from that buffer as it is (the tail written after the last span), and the buffer is reused once
 * the post is over, so neither the GC nor the kernel (fresh pages) sees a new one per batch.
 *
 * Same batching semantics and OTEL_BSP_* settings as the SDK's BatchSpanProcessor: export when a
 * batch is full or `scheduledDelayMillis` after the first span, one export in flight, at most
 * `maxQueueSize` spans waiting. A span that finds the queue full is dropped and counted (`dropped`),
 * with a warning per burst; a failed export is counted (`failedSpans`) and logged.
 *
 * With a span ledger (`feedLedger`), the lean spans it queues for the ledger too are lent to it in
 * bulk, by reference, one view per run of spans: when the ledger drains it, and before a batch is
 * exported. Nothing is copied; a buffer goes back to the spares only once its post succeeded and the
 * ledger has given back every run it holds of it. A span the batcher took reaches the ledger even
 * if its export fails.
 */
export interface LeanBatchOptions {
  poster: OtlpPoster;
  maxExportBatchSize: number;
  maxQueueSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
  onWarn?: (message: string, fields: Record<string, unknown>) => void;
}

const MIN_CHUNK_BYTES = 64 * 1024;
/**
 * Spare buffers kept: one batch fills while another is posted, and a slow post can leave a second
 * one full and waiting; a third would be a fresh allocation (fresh pages, page faults).
 */
const MAX_SPARE = 2;
/**
 * With a ledger fed: the ledger holds the buffers of its batch being built and of those waiting for
 * their insert (8 MiB each by default, eight or nine buffers of the default 512 spans), and gives
 * them back together when an insert ends.
 */
const MAX_SPARE_LEDGER = 16;

export class LeanBatchSpanProcessor implements SpanProcessor {
  /** Spans dropped because the queue was full, since start. */
  dropped = 0;
  /** Spans whose export failed (after retries), since start. */
  failedSpans = 0;
  exportedSpans = 0;
  private queue: Chunk[] = [];
  private queued = 0;
  /** Size to give a new chunk's buffer: that of the last full one. */
  private chunkBytes = MIN_CHUNK_BYTES;
  /** Buffers whose post is over, for the next chunks (at most MAX_SPARE). */
  private readonly spares: Buffer[] = [];
  private timer: NodeJS.Timeout | undefined;
  private exporting: Promise<void> | undefined;
  private droppedInBurst = 0;
  private stopped = false;
  private readonly o: LeanBatchOptions;
  private readonly framing = new RequestFraming();
  /** Writes each span into its chunk's buffer. */
  private readonly writer = new SpanBytes(NO_BYTES);
  private ledger: SpanLedger | undefined = undefined;
  /** Runs the ledger holds, by buffer (drainToLedger lends them, giveBack counts them back). */
  private readonly lent = new Map<Buffer, number>();
  /** Buffers whose post succeeded while the ledger still held runs of them. */
  private readonly posted = new Set<Buffer>();

  constructor(o: LeanBatchOptions) {
    this.o = { ...o, maxExportBatchSize: Math.max(1, Math.min(o.maxExportBatchSize, o.maxQueueSize)) };
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    this.enqueue(span.resource, span.instrumentationScope, writeSpanJson, span);
  }

  /** Hands the spans queued with a `ledgerCall` to `ledger` too (span-ledger.ts). */
  feedLedger(ledger: SpanLedger): void {
    this.ledger = ledger;
    ledger.drainFrom(() => this.drainToLedger());
  }

  /**
   * Queues one span: `encode` writes its OTLP/JSON span object straight into the buffer of the
   * batch it will go out in. Same queue bound, drop counting and batching as onEnd. If `encode`
   * throws, nothing is queued and the error is thrown on. False: not queued (stopped, or the queue
   * is full and the span was dropped). `ledgerCall`, with a ledger fed: the span goes to the ledger
   * too, and is a SERVER span (a ledger row) or not; a span not queued does not.
   */
  enqueue<T>(
    resource: Resource,
    scope: ReadableSpan['instrumentationScope'],
    encode: (w: SpanBytes, span: T) => void,
    span: T,
    ledgerCall?: boolean,
  ): boolean {
    if (this.stopped) return false;
    if (this.queued >= this.o.maxQueueSize) {
      this.drop();
      return false;
    }
    if (this.droppedInBurst > 0) {
      this.warn('span queue was full: spans dropped', { dropped: this.droppedInBurst, dropped_total: this.dropped });
      this.droppedInBurst = 0;
    }
    const ledger = ledgerCall !== undefined && this.ledger !== undefined;
    let chunk = this.queue[this.queue.length - 1];
    if (
      chunk === undefined ||
      chunk.resource !== resource ||
      chunk.scope !== scope ||
      chunk.ledger !== ledger ||
      chunk.ends.length >= this.o.maxExportBatchSize
    ) {
      chunk = this.newChunk(resource, scope, ledger);
      this.queue.push(chunk);
    }
    const n = chunk.ends.length;
    const w = this.writer;
    w.reset(chunk.bytes, n === 0 ? chunk.start : (chunk.ends[n - 1] as number));
    try {
      if (n > 0) w.byte(COMMA);
      encode(w, span);
    } catch (err) {
      // What was written past the last span's end is not part of the chunk.
      chunk.bytes = w.buf;
      w.reset(NO_BYTES, 0);
      if (n === 0) this.queue.pop();
      throw err;
    }
    // The writer may have moved the chunk to a bigger buffer.
    chunk.bytes = w.buf;
    chunk.ends.push(w.pos);
    if (ledgerCall === true) chunk.calls++;
    w.reset(NO_BYTES, 0);
    if (n + 1 === this.o.maxExportBatchSize) this.chunkBytes = Math.max(MIN_CHUNK_BYTES, chunk.bytes.length);
    this.queued++;
    this.maybeExport();
    return true;
  }

  forceFlush(): Promise<void> {
    return this.flushAll();
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    await this.flushAll();
    this.stopped = true;
    this.spares.length = 0;
    await this.o.poster.close();
  }

  private drop(): void {
    this.dropped++;
    this.droppedInBurst++;
  }

  /**
   * An empty chunk: a buffer (the spare one if it is big enough) that starts with the request's
   * head and has room for `room` bytes of spans.
   */
  private newChunk(resource: Resource, scope: ReadableSpan['instrumentationScope'], ledger: boolean, room = 0): Chunk {
    const { head } = this.framing.frame(resource, scope);
    const size = Math.max(this.chunkBytes, head.length + Math.max(room, head.length));
    const spare = this.spares.pop();
    const bytes = spare !== undefined && spare.length >= size ? spare : Buffer.allocUnsafeSlow(size);
    bytes.set(head, 0);
    return {
      resource,
      scope,
      bytes,
      start: head.length,
      ends: [],
      headFinal: !resource.asyncAttributesPending,
      ledger,
      ledgered: 0,
      calls: 0,
    };
  }

  /**
   * Lends the ledger every span queued for it and not yet lent: one view per chunk, of the
   * comma-separated span objects as they will be posted. A chunk is marked before the loan, so a
   * seal the loan sets off (and the drain that seal starts) does not lend the same spans twice.
   */
  private drainToLedger(): void {
    const ledger = this.ledger;
    if (ledger === undefined) return;
    for (const chunk of this.queue) {
      const n = chunk.ends.length;
      const done = chunk.ledgered;
      if (!chunk.ledger || done === n) continue;
      // Span `done` starts after the comma that followed span `done - 1`.
      const from = done === 0 ? chunk.start : (chunk.ends[done - 1] as number) + 1;
      const calls = chunk.calls;
      chunk.ledgered = n;
      chunk.calls = 0;
      const bytes = chunk.bytes;
      this.lent.set(bytes, (this.lent.get(bytes) ?? 0) + 1);
      const to = chunk.ends[n - 1] as number;
      ledger.lendSpans({
        resource: chunk.resource,
        scope: chunk.scope,
        bytes,
        from,
        to,
        spans: n - done,
        calls,
        release: () => this.giveBack(bytes),
      });
    }
  }

  /** The ledger is done with a run of `bytes`: the last one back lets a posted buffer be reused. */
  private giveBack(bytes: Buffer): void {
    const left = (this.lent.get(bytes) ?? 1) - 1;
    if (left > 0) {
      this.lent.set(bytes, left);
      return;
    }
    this.lent.delete(bytes);
    if (this.posted.delete(bytes)) this.recycle(bytes);
  }

  /** Keeps a whole buffer whose post is over (and that the ledger no longer holds) for the next chunk. */
  private recycle(bytes: Buffer): void {
    if (this.lent.has(bytes)) {
      this.posted.add(bytes);
      return;
    }
    if (!this.stopped && bytes.byteOffset === 0 && bytes.length === bytes.buffer.byteLength && bytes.length >= this.chunkBytes) {
      if (this.spares.length < (this.ledger !== undefined ? MAX_SPARE_LEDGER : MAX_SPARE)) this.spares.push(bytes);
    }
  }

  private maybeExport(): void {
    if (this.exporting !== undefined) return;
    if (this.queued >= this.o.maxExportBatchSize) {
      this.exportOne();
      return;
    }
    if (this.timer === undefined && this.queued > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.exporting === undefined) this.exportOne();
      }, this.o.scheduledDelayMillis);
      this.timer.unref();
    }
  }

  /** Takes the first maxExportBatchSize spans off the queue (splitting a chunk if need be). */
  private takeBatch(): Chunk[] {
    // The ledger gets the spans before their buffer is posted (and then reused).
    this.drainToLedger();
    const batch: Chunk[] = [];
    let left = this.o.maxExportBatchSize;
    while (left > 0 && this.queue.length > 0) {
      const chunk = this.queue[0] as Chunk;
      const n = chunk.ends.length;
      if (n <= left) {
        batch.push(chunk);
        this.queue.shift();
        left -= n;
        continue;
      }
      // The first `left` spans go out in the chunk's buffer; the rest, which starts after the comma
      // that followed span `left - 1`, moves to a new chunk with the same head.
      const cut = chunk.ends[left - 1] as number;
      const last = chunk.ends[n - 1] as number;
      batch.push({ ...chunk, ends: chunk.ends.slice(0, left) });
      const rest = this.newChunk(chunk.resource, chunk.scope, chunk.ledger, last - cut - 1);
      chunk.bytes.copy(rest.bytes, rest.start, cut + 1, last);
      rest.ends = chunk.ends.slice(left).map((e) => e - cut - 1 + rest.start);
      rest.ledgered = rest.ends.length;
      this.queue[0] = rest;
      left = 0;
    }
    this.queued -= this.o.maxExportBatchSize - left;
    return batch;
  }

  private exportOne(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.takeBatch();
    if (batch.length === 0) return Promise.resolve();
    const spans = batch.reduce((n, c) => n + c.ends.length, 0);
    const run = this.send(batch, spans).finally(() => {
      this.exporting = undefined;
      if (!this.stopped) this.maybeExport();
    });
    this.exporting = run;
    return run;
  }

  private async send(batch: Chunk[], spans: number): Promise<void> {
    try {
      const posted = this.o.poster.post(this.encodeRequest(batch));
      // A buffer is reused once its post succeeded (the receiver has read it), not when the export
      // times out or fails.
      posted.then(
        () => {
          for (const c of batch) this.recycle(c.bytes);
        },
        () => {},
      );
      await withTimeout(posted, this.o.exportTimeoutMillis);
      this.exportedSpans += spans;
    } catch (err) {
      this.failedSpans += spans;
      this.warn('span export failed', { spans, error: (err as Error).message });
    }
  }

  /** Exports everything queued, one export in flight at a time (the one running may start the next). */
  private async flushAll(): Promise<void> {
    while (this.exporting !== undefined || this.queued > 0) {
      if (this.exporting !== undefined) await this.exporting;
      else await this.exportOne();
    }
  }

  /**
   * The request body. A batch that is one whole chunk is its own body: the tail goes after its last
   * span. Otherwise the spans are copied into a request grouped by resource and scope. A chunk
   * takeBatch split is never alone in its batch (a chunk holds at most maxExportBatchSize spans, so
   * one was taken whole before it): nothing is written over the spans after the cut, which the ledger
   * may hold.
   */
  private encodeRequest(batch: readonly Chunk[]): Buffer {
    const c = batch[0] as Chunk;
    if (batch.length > 1 || !c.headFinal) return this.framing.request(batch);
    const { tail } = this.framing.frame(c.resource, c.scope);
    const w = this.writer;
    w.reset(c.bytes, c.ends[c.ends.length - 1] as number);
    w.bytes(tail);
    c.bytes = w.buf;
    const end = w.pos;
    w.reset(NO_BYTES, 0);
    return c.bytes.subarray(0, end);
  }

  private warn(message: string, fields: Record<string, unknown>): void {
    if (this.o.onWarn) this.o.onWarn(message, fields);
    else diag.warn(`${message} ${JSON.stringify(fields)}`);
  }
}

const COMMA = 0x2c;
const NO_BYTES = Buffer.alloc(0);

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`export timed out after ${ms} ms`)), ms);
    t.unref();
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
