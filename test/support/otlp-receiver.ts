import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An in-process OTLP/HTTP receiver (JSON encoding) for tests: POST /v1/traces and /v1/metrics on
 * 127.0.0.1:<random port>. Protobuf bodies get 415 (the exporters we ship send JSON).
 */
export type ReceivedSpanKind = 'UNSPECIFIED' | 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';

export interface ReceivedSpan {
  name: string;
  kind: ReceivedSpanKind;
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  attributes: Record<string, unknown>;
  /** code: 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string };
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  resource: Record<string, unknown>;
  scope: string;
}

export interface ReceivedMetricPoint {
  attributes: Record<string, unknown>;
  /** Sum/gauge value, or histogram sum. */
  value: number;
  count?: number;
  bucketCounts?: number[];
  explicitBounds?: number[];
}

export interface ReceivedMetric {
  name: string;
  unit: string;
  type: 'sum' | 'gauge' | 'histogram' | 'other';
  points: ReceivedMetricPoint[];
  resource: Record<string, unknown>;
}

export interface OtlpReceiver {
  /** Base URL, for example http://127.0.0.1:43123 (append /v1/traces). */
  readonly url: string;
  readonly spans: ReceivedSpan[];
  readonly metrics: ReceivedMetric[];
  /** Every request seen: path, content-type and headers (lower-case names). */
  readonly requests: Array<{ path: string; contentType: string; headers: Record<string, string> }>;
  /** Raw JSON bodies of /v1/traces posts, for "this string appears nowhere" checks. */
  readonly rawTraceBodies: string[];
  waitForSpans(predicate: (spans: readonly ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  waitForMetrics(predicate: (metrics: readonly ReceivedMetric[]) => boolean, timeoutMs?: number): Promise<ReceivedMetric[]>;
  clear(): void;
  close(): Promise<void>;
}

const KINDS: readonly ReceivedSpanKind[] = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}

function decodeValue(v: AnyValue | undefined): unknown {
  if (v === undefined) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(decodeValue);
  if (v.kvlistValue !== undefined) return decodeAttributes(v.kvlistValue.values);
  return undefined;
}

function decodeAttributes(kvs: KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of kvs ?? []) out[kv.key] = decodeValue(kv.value);
  return out;
}

/** OTLP/JSON ids are hex; some encoders use base64. Normalise to lower-case hex. */
function hexId(id: string | undefined): string {
  if (!id) return '';
  if (/^[0-9a-fA-F]+$/.test(id) && (id.length === 16 || id.length === 32)) return id.toLowerCase();
  return Buffer.from(id, 'base64').toString('hex');
}

function nanos(v: string | number | undefined): bigint {
  return v === undefined ? 0n : BigInt(v);
}

interface JsonSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: number;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: KeyValue[];
  status?: { code?: number; message?: string };
}
interface JsonTraces {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: Array<{ scope?: { name?: string }; spans?: JsonSpan[] }>;
  }>;
}
interface JsonPoint {
  attributes?: KeyValue[];
  asDouble?: number;
  asInt?: number | string;
  sum?: number;
  count?: number | string;
  bucketCounts?: Array<number | string>;
  explicitBounds?: number[];
}
interface JsonMetrics {
  resourceMetrics?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeMetrics?: Array<{
      metrics?: Array<{
        name?: string;
        unit?: string;
        sum?: { dataPoints?: JsonPoint[] };
        gauge?: { dataPoints?: JsonPoint[] };
        histogram?: { dataPoints?: JsonPoint[] };
      }>;
    }>;
  }>;
}

function decodeTraces(body: JsonTraces): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of body.resourceSpans ?? []) {
    const resource = decodeAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          name: s.name ?? '',
          kind: KINDS[s.kind ?? 0] ?? 'UNSPECIFIED',
          traceId: hexId(s.traceId),
          spanId: hexId(s.spanId),
          parentSpanId: hexId(s.parentSpanId),
          attributes: decodeAttributes(s.attributes),
          status: { code: s.status?.code ?? 0, ...(s.status?.message ? { message: s.status.message } : {}) },
          startTimeUnixNano: nanos(s.startTimeUnixNano),
          endTimeUnixNano: nanos(s.endTimeUnixNano),
          resource,
          scope: ss.scope?.name ?? '',
        });
      }
    }
  }
  return out;
}

function decodePoint(p: JsonPoint): ReceivedMetricPoint {
  const point: ReceivedMetricPoint = {
    attributes: decodeAttributes(p.attributes),
    value: p.asDouble ?? (p.asInt !== undefined ? Number(p.asInt) : (p.sum ?? 0)),
  };
  if (p.count !== undefined) point.count = Number(p.count);
  if (p.bucketCounts !== undefined) point.bucketCounts = p.bucketCounts.map(Number);
  if (p.explicitBounds !== undefined) point.explicitBounds = p.explicitBounds;
  return point;
}

function decodeMetrics(body: JsonMetrics): ReceivedMetric[] {
  const out: ReceivedMetric[] = [];
  for (const rm of body.resourceMetrics ?? []) {
    const resource = decodeAttributes(rm.resource?.attributes);
    for (const sm of rm.scopeMetrics ?? []) {
      for (const m of sm.metrics ?? []) {
        const [type, data] = m.sum
          ? (['sum', m.sum] as const)
          : m.gauge
            ? (['gauge', m.gauge] as const)
            : m.histogram
              ? (['histogram', m.histogram] as const)
              : (['other', undefined] as const);
        out.push({
          name: m.name ?? '',
          unit: m.unit ?? '',
          type,
          points: (data?.dataPoints ?? []).map(decodePoint),
          resource,
        });
      }
    }
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const metrics: ReceivedMetric[] = [];
  const requests: OtlpReceiver['requests'] = [];
  const rawTraceBodies: string[] = [];
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const w of waiters) w();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const contentType = String(req.headers['content-type'] ?? '');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
    requests.push({ path, contentType, headers });
    const body = await readBody(req);
    if (req.method !== 'POST' || (path !== '/v1/traces' && path !== '/v1/metrics')) {
      res.writeHead(404).end();
      return;
    }
    if (!contentType.includes('json')) {
      res.writeHead(415, { 'content-type': 'text/plain' }).end('only application/json is supported');
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      res.writeHead(400).end('bad json');
      return;
    }
    if (path === '/v1/traces') {
      rawTraceBodies.push(body.toString('utf8'));
      spans.push(...decodeTraces(parsed as JsonTraces));
    } else {
      metrics.push(...decodeMetrics(parsed as JsonMetrics));
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    notify();
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  function waitFor<T>(items: T[], predicate: (items: readonly T[]) => boolean, timeoutMs: number, what: string): Promise<T[]> {
    return new Promise((resolve, reject) => {
      if (predicate(items)) {
        resolve(items.slice());
        return;
      }
      const check = (): void => {
        if (!predicate(items)) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(items.slice());
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`otlp-receiver: timed out after ${timeoutMs} ms waiting for ${what} (have ${items.length})`));
      }, timeoutMs);
      waiters.add(check);
    });
  }

  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    metrics,
    requests,
    rawTraceBodies,
    waitForSpans: (predicate, timeoutMs = 5000) => waitFor(spans, predicate, timeoutMs, 'spans'),
    waitForMetrics: (predicate, timeoutMs = 5000) => waitFor(metrics, predicate, timeoutMs, 'metrics'),
    clear() {
      spans.length = 0;
      metrics.length = 0;
      requests.length = 0;
      rawTraceBodies.length = 0;
    },
    close() {
      return new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      });
    },
  };
}
