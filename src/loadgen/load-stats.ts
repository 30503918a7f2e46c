/** Counters for one load run; `line()` is the progress log line. */
export interface LoadSnapshot {
  sent: number;
  ok: number;
  failed: number;
  streamed: number;
  inFlight: number;
  byFeature: Record<string, number>;
  byStatus: Record<string, number>;
  p50Ms: number | null;
  p95Ms: number | null;
}

export class LoadStats {
  sent = 0;
  ok = 0;
  failed = 0;
  streamed = 0;
  inFlight = 0;
  readonly byFeature: Record<string, number> = {};
  /** HTTP status, or `network` for a failure before any status. */
  readonly byStatus: Record<string, number> = {};
  /** Latencies since the last progress line (bounded: one window). */
  private window: number[] = [];

  record(o: { feature: string; status: number | 'network'; ok: boolean; ms: number; stream: boolean }): void {
    this.byFeature[o.feature] = (this.byFeature[o.feature] ?? 0) + 1;
    this.byStatus[String(o.status)] = (this.byStatus[String(o.status)] ?? 0) + 1;
    if (o.ok) this.ok++;
    else this.failed++;
    if (o.stream) this.streamed++;
    if (this.window.length < 100_000) this.window.push(o.ms);
  }

  snapshot(): LoadSnapshot {
    const sorted = [...this.window].sort((a, b) => a - b);
    const q = (p: number) => (sorted.length ? (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? null) : null);
    return {
      sent: this.sent,
      ok: this.ok,
      failed: this.failed,
      streamed: this.streamed,
      inFlight: this.inFlight,
      byFeature: { ...this.byFeature },
      byStatus: { ...this.byStatus },
      p50Ms: q(0.5),
      p95Ms: q(0.95),
    };
  }

  /** One progress line; resets the latency window. */
  line(elapsedMs: number): string {
    const s = this.snapshot();
    this.window = [];
    const statuses = Object.entries(s.byStatus)
      .filter(([k]) => k !== '200')
      .map(([k, v]) => `${k}:${v}`)
      .join(',');
    const ms = (v: number | null) => (v === null ? '-' : `${Math.round(v)}ms`);
    return (
      `loadgen: t=${Math.round(elapsedMs / 1000)}s sent=${s.sent} ok=${s.ok} failed=${s.failed}` +
      `${statuses ? ` (${statuses})` : ''} streamed=${s.streamed} in_flight=${s.inFlight}` +
      ` p50=${ms(s.p50Ms)} p95=${ms(s.p95Ms)}`
    );
  }
}
