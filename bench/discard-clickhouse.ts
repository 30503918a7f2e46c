import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { aiCallsInV2ColumnNames, aiCallsInV2Columns } from '../src/sinks/clickhouse/ddl/ai-calls-in-v2.js';
import { countRowBinaryRows, parseColumns, readRowBinary } from '../src/sinks/clickhouse/rows/row-binary-reader.js';

/**
 * A stand-in for ClickHouse's HTTP interface that takes INSERTs and throws their rows away, for
 * `bench/sink-cost.ts`: the sidecar's side of the sink (building rows, sending them) without the
 * ClickHouse server's CPU. It answers an `INSERT INTO <db>.<table> FORMAT JSONEachRow` with 200
 * once the body is read, and counts rows (lines; RowBinary rows by reading them) and bytes per table, and the spans `ai_calls_in_v2`
 * rows carry for the views (what ClickHouse would turn into `otel_traces` rows); anything else gets
 * a ClickHouse-style 400, so a sink that expects more (DDL, queries) fails loudly instead of being
 * measured wrong. It takes the row formats the sink writes: JSONEachRow, and JSONCompactEachRow or
 * RowBinary with a column list (that of `ai_calls_in_v2`). `GET /totals` answers with the counts so far (DiscardTotals as JSON).
 */
export interface DiscardTotals {
  inserts: number;
  bytes: number;
  rows: Record<string, number>;
  /** Spans inside `ai_calls_in_v2` rows: the call's (`span` view flag) and its attempts'. */
  carriedSpans: number;
}

const COLUMNS = aiCallsInV2ColumnNames();
const TYPED_COLUMNS = parseColumns(aiCallsInV2Columns());
const SPAN_AT = COLUMNS.indexOf('span');
const ATTEMPTS_AT = COLUMNS.indexOf('attempts');

/** Spans an `ai_calls_in_v2` row carries (ddl/ai-calls-in-v2.ts: `span` and each attempt's last element). */
function carried(line: string): number {
  return carriedIn(JSON.parse(line) as unknown);
}

function carriedIn(parsed: unknown): number {
  const row = (Array.isArray(parsed) ? { span: parsed[SPAN_AT], attempts: parsed[ATTEMPTS_AT] } : parsed) as {
    span?: [boolean];
    attempts: unknown[][];
  };
  let n = row.span?.[0] === true ? 1 : 0;
  for (const a of row.attempts) if ((a.at(-1) as [boolean])[0] === true) n++;
  return n;
}

export interface DiscardServer {
  url: string;
  totals(): DiscardTotals;
  close(): Promise<void>;
}

const INSERT =
  /^\s*INSERT\s+INTO\s+(?:[`"]?[\w]+[`"]?\.)?[`"]?(\w+)[`"]?\s+(?:FORMAT\s+JSONEachRow|\([`"\w\s,]+\)\s+FORMAT\s+(JSONCompactEachRow|RowBinary))\s*$/i;

export interface DiscardOptions {
  /**
   * Parse each `ai_calls_in_v2` row to count the spans it carries (default true). `npm run bench`
   * turns it off: there the server stands in for a ClickHouse host of its own, and only counts rows.
   */
  countSpans?: boolean;
}

export async function startDiscardClickHouse(opts: DiscardOptions = {}): Promise<DiscardServer> {
  const countSpans = opts.countSpans ?? true;
  const totals: DiscardTotals = { inserts: 0, bytes: 0, rows: {}, carriedSpans: 0 };
  const server: Server = createServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? '';
    const match = INSERT.exec(query);
    const table = match?.[1];
    const binary = match?.[2] === 'RowBinary';
    if (req.method === 'GET' && req.url === '/totals') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(totals));
      return;
    }
    if (req.method !== 'POST' || table === undefined) {
      req.resume();
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(
        `Code: 48. DB::Exception: the discard server only takes INSERT … FORMAT JSONEachRow, JSONCompactEachRow or RowBinary, not: ${query.slice(0, 80)}\n`,
      );
      return;
    }
    let rows = 0;
    let bytes = 0;
    // RowBinary rows have no delimiter: the body is read whole, then row by row. OTLP documents are
    // counted as they arrive, chunk by chunk: no burst of work at the end of a batch of megabytes
    // (the endpoint shares the load core, and stands in for a ClickHouse on a host of its own).
    const otlp = table === 'otlp_in' ? new OtlpCallCounter() : null;
    const keep: Buffer[] | null = binary || (countSpans && table === 'ai_calls_in_v2') ? [] : null;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      keep?.push(chunk);
      if (otlp !== null) otlp.push(chunk);
      else if (!binary) for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) rows++;
    });
    req.on('end', () => {
      if (binary) {
        const body = Buffer.concat(keep as Buffer[]);
        try {
          if (countSpans) {
            const decoded = readRowBinary(TYPED_COLUMNS, body);
            rows = decoded.length;
            for (const row of decoded) totals.carriedSpans += carriedIn(row);
          } else rows = countRowBinaryRows(TYPED_COLUMNS, body);
        } catch (err) {
          res.writeHead(400, { 'content-type': 'text/plain' });
          res.end(`Code: 33. DB::Exception: ${(err as Error).message}\n`);
          return;
        }
      } else if (otlp !== null) rows = otlp.calls;
      else if (keep !== null) {
        for (const line of Buffer.concat(keep).toString('utf8').split('\n')) if (line !== '') totals.carriedSpans += carried(line);
      }
      totals.inserts++;
      totals.bytes += bytes;
      totals.rows[table] = (totals.rows[table] ?? 0) + rows;
      res.writeHead(200, { 'content-type': 'text/plain', 'x-clickhouse-summary': JSON.stringify({ written_rows: String(rows) }) });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    totals: () => ({ ...totals, rows: { ...totals.rows } }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// As a child process (`node --import tsx bench/discard-clickhouse.ts [--rows-only]`): prints its
// URL as a JSON line and serves until SIGTERM.
if (import.meta.url === `file://${process.argv[1]}`) {
  const s = await startDiscardClickHouse({ countSpans: !process.argv.includes('--rows-only') });
  process.stdout.write(`${JSON.stringify({ msg: 'discard clickhouse ready', url: s.url })}\n`);
  process.once('SIGTERM', () => void s.close().then(() => process.exit(0)));
}

const SERVER_KIND = Buffer.from('"kind":2,');

/**
 * The calls in a batch of OTLP/JSON documents (`otlp_in`): its SERVER spans, each one ledger row.
 * Counted by the span kind's bytes as the sidecar's encoder writes them (a string value cannot hold
 * them unescaped); a unit test holds the count to a JSON parse of real batches.
 */
export function countOtlpCalls(body: Buffer): number {
  let n = 0;
  for (let i = body.indexOf(SERVER_KIND); i >= 0; i = body.indexOf(SERVER_KIND, i + SERVER_KIND.length)) n++;
  return n;
}

/** countOtlpCalls over a body that arrives in chunks, a marker possibly split between two of them. */
export class OtlpCallCounter {
  calls = 0;
  /** The last SERVER_KIND.length - 1 bytes seen (a split marker's head), or fewer at the start. */
  #tail: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    const keep = SERVER_KIND.length - 1;
    // A marker that straddles the boundary lies inside the tail plus the chunk's first bytes; neither
    // part alone can hold a whole one, so every match here is one the two scans below cannot see.
    if (this.#tail.length > 0) this.calls += countOtlpCalls(Buffer.concat([this.#tail, chunk.subarray(0, keep)]));
    this.calls += countOtlpCalls(chunk);
    const joined = chunk.length >= keep ? chunk : Buffer.concat([this.#tail, chunk]);
    this.#tail = Buffer.from(joined.subarray(Math.max(0, joined.length - keep)));
  }
}
