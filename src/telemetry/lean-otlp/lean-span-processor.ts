import { type Context, diag, TraceFlags } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { encodeAttributes, encodeSpanJson } from './encode-span-json.js';
import type { OtlpPoster } from './post-otlp.js';

/**
 * The lean OTLP/HTTP JSON span path (SWITCHYARD_OTLP_EXPORTER=lean): a batching span processor
 * that serializes each span to OTLP JSON bytes the moment it ends, then lets go of it. The batch
 * holds one Buffer per span instead of a span object graph waiting to be walked, copied and turned
 * into a second object tree at export time; the GC sees a fraction of the work.
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

interface Entry {
  resource: Resource;
  scope: ReadableSpan['instrumentationScope'];
  json: Buffer;
}

export class LeanBatchSpanProcessor implements SpanProcessor {
  /** Spans dropped because the queue was full, since start. */
  dropped = 0;
  /** Spans whose export failed (after retries), since start. */
  failedSpans = 0;
  exportedSpans = 0;
  private queue: Entry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private exporting: Promise<void> | undefined;
  private droppedInBurst = 0;
  private stopped = false;
  private readonly o: LeanBatchOptions;
  private readonly resources = new WeakMap<Resource, string>();

  constructor(o: LeanBatchOptions) {
    this.o = { ...o, maxExportBatchSize: Math.min(o.maxExportBatchSize, o.maxQueueSize) };
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.stopped || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.queue.length >= this.o.maxQueueSize) {
      this.enqueue(span.resource, span.instrumentationScope, EMPTY);
      return;
    }
    this.enqueue(span.resource, span.instrumentationScope, Buffer.from(encodeSpanJson(span)));
  }

  /**
   * Queues one span already encoded as an OTLP/JSON span object (the lean span path encodes its
   * spans itself). Same queue bound, drop counting and batching as onEnd.
   */
  enqueue(resource: Resource, scope: ReadableSpan['instrumentationScope'], json: Buffer): void {
    if (this.stopped) return;
    if (this.queue.length >= this.o.maxQueueSize) {
      this.dropped++;
      this.droppedInBurst++;
      return;
    }
    if (this.droppedInBurst > 0) {
      this.warn('span queue was full: spans dropped', { dropped: this.droppedInBurst, dropped_total: this.dropped });
      this.droppedInBurst = 0;
    }
    this.queue.push({ resource, scope, json });
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

  private maybeExport(): void {
    if (this.exporting !== undefined) return;
    if (this.queue.length >= this.o.maxExportBatchSize) {
      this.exportOne();
      return;
    }
    if (this.timer === undefined && this.queue.length > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.exporting === undefined) this.exportOne();
      }, this.o.scheduledDelayMillis);
      this.timer.unref();
    }
  }

  private exportOne(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.queue.length <= this.o.maxExportBatchSize ? this.queue : this.queue.slice(0, this.o.maxExportBatchSize);
    this.queue = batch === this.queue ? [] : this.queue.slice(batch.length);
    if (batch.length === 0) return Promise.resolve();
    const run = this.send(batch).finally(() => {
      this.exporting = undefined;
      if (!this.stopped) this.maybeExport();
    });
    this.exporting = run;
    return run;
  }

  private async send(batch: Entry[]): Promise<void> {
    try {
      await withTimeout(this.o.poster.post(this.encodeRequest(batch)), this.o.exportTimeoutMillis);
      this.exportedSpans += batch.length;
    } catch (err) {
      this.failedSpans += batch.length;
      this.warn('span export failed', { spans: batch.length, error: (err as Error).message });
    }
  }

  private async flushAll(): Promise<void> {
    if (this.exporting !== undefined) await this.exporting;
    while (this.queue.length > 0) await this.exportOne();
  }

  /** `{"resourceSpans":[...]}` grouped by resource, then scope, as the official serializer does. */
  encodeRequest(batch: readonly Entry[]): Buffer {
    const byResource = new Map<Resource, Map<string, Entry[]>>();
    for (const e of batch) {
      let scopes = byResource.get(e.resource);
      if (scopes === undefined) {
        scopes = new Map();
        byResource.set(e.resource, scopes);
      }
      const key = `${e.scope.name}@${e.scope.version ?? ''}:${e.scope.schemaUrl ?? ''}`;
      const list = scopes.get(key);
      if (list === undefined) scopes.set(key, [e]);
      else list.push(e);
    }
    const parts: Buffer[] = [Buffer.from('{"resourceSpans":[')];
    let firstResource = true;
    for (const [resource, scopes] of byResource) {
      const schemaUrl = resource.schemaUrl ? resource.schemaUrl : undefined;
      parts.push(Buffer.from(`${firstResource ? '' : ','}{"resource":${this.resourceJson(resource)},"scopeSpans":[`));
      firstResource = false;
      let firstScope = true;
      for (const entries of scopes.values()) {
        const scope = (entries[0] as Entry).scope;
        const scopeJson = JSON.stringify({ name: scope.name, version: scope.version });
        parts.push(Buffer.from(`${firstScope ? '' : ','}{"scope":${scopeJson},"spans":[`));
        firstScope = false;
        entries.forEach((e, i) => {
          if (i > 0) parts.push(COMMA);
          parts.push(e.json);
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

const COMMA = Buffer.from(',');
const EMPTY = Buffer.alloc(0);

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
