import { type Context, diag, TraceFlags } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { encodeAttributes, encodeSpanJson } from './encode-span-json.js';
import type { OtlpPoster } from './post-otlp.js';

/**
 * The lean OTLP/HTTP JSON span path (SWITCHYARD_OTLP_EXPORTER=lean): a batching span processor
 * that serializes each span to OTLP JSON the moment it ends and writes the bytes straight into the
 * buffer of the batch it will go out in, then lets go of it. Nothing per span stays on the heap
 * while it waits (no span object graph, no string, no Buffer): the batch is one growing byte buffer
 * plus the offset where each span ends, and the GC sees a fraction of the work.
 *
 * Same batching semantics and OTEL_BSP_* settings as the SDK's BatchSpanProcessor: export when a
 * batch is full or `scheduledDelayMillis` after the first span, one export in flight, at most
 * `maxQueueSize` spans waiting. A span that finds the queue full is dropped and counted (`dropped`),
 * with a warning per burst; a failed export is counted (`failedSpans`) and logged.
 */
export interface LeanBatchOptions {
  poster: OtlpPoster;
  maxExportBatchSize: number;
  maxQueueSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
  onWarn?: (message: string, fields: Record<string, unknown>) => void;
}

/**
 * Consecutive spans of one resource and scope, encoded: `bytes[0, ends[i])` holds the first i + 1
 * span objects separated by commas. At most maxExportBatchSize spans.
 */
interface Chunk {
  resource: Resource;
  scope: ReadableSpan['instrumentationScope'];
  bytes: Buffer;
  ends: number[];
}

const MIN_CHUNK_BYTES = 64 * 1024;

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
  private timer: NodeJS.Timeout | undefined;
  private exporting: Promise<void> | undefined;
  private droppedInBurst = 0;
  private stopped = false;
  private readonly o: LeanBatchOptions;
  private readonly resources = new WeakMap<Resource, string>();

  constructor(o: LeanBatchOptions) {
    this.o = { ...o, maxExportBatchSize: Math.max(1, Math.min(o.maxExportBatchSize, o.maxQueueSize)) };
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.stopped || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.queued >= this.o.maxQueueSize) {
      this.drop();
      return;
    }
    this.enqueueJson(span.resource, span.instrumentationScope, encodeSpanJson(span));
  }

  /**
   * Queues one span already encoded as an OTLP/JSON span object (the lean span path encodes its
   * spans itself). Same queue bound, drop counting and batching as onEnd.
   */
  enqueueJson(resource: Resource, scope: ReadableSpan['instrumentationScope'], json: string): void {
    if (this.stopped) return;
    if (this.queued >= this.o.maxQueueSize) {
      this.drop();
      return;
    }
    if (this.droppedInBurst > 0) {
      this.warn('span queue was full: spans dropped', { dropped: this.droppedInBurst, dropped_total: this.dropped });
      this.droppedInBurst = 0;
    }
    let chunk = this.queue[this.queue.length - 1];
    if (chunk === undefined || chunk.resource !== resource || chunk.scope !== scope || chunk.ends.length >= this.o.maxExportBatchSize) {
      chunk = { resource, scope, bytes: Buffer.allocUnsafeSlow(this.chunkBytes), ends: [] };
      this.queue.push(chunk);
    }
    const n = chunk.ends.length;
    let at = n === 0 ? 0 : (chunk.ends[n - 1] as number);
    const need = at + 1 + json.length * 3;
    if (need > chunk.bytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(need, chunk.bytes.length * 2));
      chunk.bytes.copy(grown, 0, 0, at);
      chunk.bytes = grown;
    }
    if (n > 0) chunk.bytes[at++] = COMMA;
    at += chunk.bytes.write(json, at, 'utf8');
    chunk.ends.push(at);
    if (n + 1 === this.o.maxExportBatchSize) this.chunkBytes = Math.max(MIN_CHUNK_BYTES, chunk.bytes.length);
    this.queued++;
    this.maybeExport();
  }

  forceFlush(): Promise<void> {
    return this.flushAll();
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    await this.flushAll();
    this.stopped = true;
    await this.o.poster.close();
  }

  private drop(): void {
    this.dropped++;
    this.droppedInBurst++;
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
      const cut = chunk.ends[left - 1] as number;
      batch.push({ ...chunk, bytes: chunk.bytes.subarray(0, cut), ends: chunk.ends.slice(0, left) });
      // The rest starts after the comma that followed span `left - 1`.
      const rest = Buffer.allocUnsafeSlow(chunk.bytes.length);
      const restLen = (chunk.ends[n - 1] as number) - cut - 1;
      chunk.bytes.copy(rest, 0, cut + 1, cut + 1 + restLen);
      chunk.bytes = rest;
      chunk.ends = chunk.ends.slice(left).map((e) => e - cut - 1);
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
      await withTimeout(this.o.poster.post(this.encodeRequest(batch)), this.o.exportTimeoutMillis);
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

  /** `{"resourceSpans":[...]}` grouped by resource, then scope, as the official serializer does. */
  private encodeRequest(batch: readonly Chunk[]): Buffer {
    const byResource = new Map<Resource, Map<string, Chunk[]>>();
    for (const c of batch) {
      let scopes = byResource.get(c.resource);
      if (scopes === undefined) {
        scopes = new Map();
        byResource.set(c.resource, scopes);
      }
      const key = `${c.scope.name}@${c.scope.version ?? ''}:${c.scope.schemaUrl ?? ''}`;
      const list = scopes.get(key);
      if (list === undefined) scopes.set(key, [c]);
      else list.push(c);
    }
    const parts: Buffer[] = [Buffer.from('{"resourceSpans":[')];
    let firstResource = true;
    for (const [resource, scopes] of byResource) {
      const schemaUrl = resource.schemaUrl ? resource.schemaUrl : undefined;
      parts.push(Buffer.from(`${firstResource ? '' : ','}{"resource":${this.resourceJson(resource)},"scopeSpans":[`));
      firstResource = false;
      let firstScope = true;
      for (const chunks of scopes.values()) {
        const scope = (chunks[0] as Chunk).scope;
        const scopeJson = JSON.stringify({ name: scope.name, version: scope.version });
        parts.push(Buffer.from(`${firstScope ? '' : ','}{"scope":${scopeJson},"spans":[`));
        firstScope = false;
        chunks.forEach((c, i) => {
          if (i > 0) parts.push(COMMA_BYTES);
          parts.push(c.bytes.subarray(0, c.ends[c.ends.length - 1]));
        });
        parts.push(Buffer.from(`]${scope.schemaUrl !== undefined ? `,"schemaUrl":${JSON.stringify(scope.schemaUrl)}` : ''}}`));
      }
      parts.push(Buffer.from(`]${schemaUrl !== undefined ? `,"schemaUrl":${JSON.stringify(schemaUrl)}` : ''}}`));
    }
    parts.push(Buffer.from(']}'));
    return Buffer.concat(parts);
  }
  private resourceJson(resource: Resource): string {
    let json = this.resources.get(resource);
    if (json === undefined) {
      const schemaUrl = resource.schemaUrl ? `,"schemaUrl":${JSON.stringify(resource.schemaUrl)}` : '';
      json = `{"attributes":${encodeAttributes(resource.attributes)},"droppedAttributesCount":0${schemaUrl}}`;
      // Resources with attributes still being detected are encoded again next time.
      if (!resource.asyncAttributesPending) this.resources.set(resource, json);
    }
    return json;
  }

  private warn(message: string, fields: Record<string, unknown>): void {
    if (this.o.onWarn) this.o.onWarn(message, fields);
    else diag.warn(`${message} ${JSON.stringify(fields)}`);
  }
}

const COMMA = 0x2c;
const COMMA_BYTES = Buffer.from(',');

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
