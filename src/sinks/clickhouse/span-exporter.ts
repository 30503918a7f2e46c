import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/**
 * Writes spans to `otel_traces` (the Collector's schema) through the sink's batching and spool.
 * `export` reports success once the spans are in the sink's pipeline: from there they are inserted
 * or spooled durably, so the SDK's own retry would only duplicate work. It only queues the spans
 * (ended, immutable ReadableSpans): their rows are serialized when the sink seals the batch.
 */
export interface SpanRowTarget {
  add(span: ReadableSpan): void;
  flush(): Promise<void>;
}

export class ClickHouseSpanExporter implements SpanExporter {
  #stopped = false;

  constructor(private readonly target: SpanRowTarget) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.#stopped) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('ClickHouse span exporter is shut down') });
      return;
    }
    try {
      for (const span of spans) this.target.add(span);
      resultCallback({ code: ExportResultCode.SUCCESS });
    } catch (err) {
      resultCallback({ code: ExportResultCode.FAILED, error: err as Error });
    }
  }

  async forceFlush(): Promise<void> {
    await this.target.flush();
  }

  /** Stops accepting spans; the sink's close() flushes or spools what is queued. */
  async shutdown(): Promise<void> {
    this.#stopped = true;
    await this.target.flush().catch(() => undefined);
  }
}
