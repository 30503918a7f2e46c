import { createSseParser, type SseEvent, type SseParser } from './sse-parser.js';

/**
 * Splits an event stream into blocks for a same-protocol translator, cheaply for the common
 * shape and exactly as the full parser (./sse-parser.ts) reads it in every case.
 *
 * - Common shape: LF line ends, each event one `data:` line. Such a block is handed over as
 *   offsets into the upstream read and a latin1 view of it (one string per read, not per event),
 *   so the caller can forward it as a slice of the read without decoding it.
 * - Any other block (comments, `event:`/`id:` lines, several data lines) goes through the full
 *   parser and is handed over as an `SseEvent`.
 * - A block split across reads is completed with the next read's bytes up to its blank line.
 * - From the first CR on (CRLF or CR line ends), or when the stream starts with a possible BOM,
 *   every byte goes through the full parser: it handles those, and such streams are rare.
 * - A blank line where no block is open dispatches nothing, and its byte is not handed over.
 */
export interface SseBlockHandler {
  /**
   * A block that is exactly one `data:` line ended by a blank line: `[start, end + 2)` of the
   * read's `bytes`, its data `[dataStart, end)` (after `data:` and one optional space). `text` is
   * `bytes` as latin1 (one character per byte, same offsets), made once per read. False stops.
   */
  dataLine(bytes: Buffer, text: string, start: number, dataStart: number, end: number): boolean;
  /** Any other block as the full parser reads it, and the unterminated one at EOF. False stops. */
  event(ev: SseEvent): boolean;
}

export interface SseScanner {
  push(chunk: Buffer): void;
  end(): void;
}

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;

export function createSseScanner(handler: SseBlockHandler): SseScanner {
  let parser: SseParser | undefined;
  /** Every byte goes through the full parser from now on. */
  let full = false;
  let started = false;
  let stopped = false;
  /** An unfinished block (no CR, no blank line yet), in the reads it came in. */
  let pending: Buffer[] = [];
  let pendingEndsLf = false;

  const blockParser = (): SseParser => {
    parser ??= createSseParser({ midStream: true });
    return parser;
  };

  function deliver(events: SseEvent[]): void {
    for (const ev of events) {
      if (stopped) return;
      if (!handler.event(ev)) stopped = true;
    }
  }

  /** Hands over the whole blocks of `bytes` (which starts at a block boundary); returns where the unfinished rest starts. */
  function scan(bytes: Buffer): number {
    const text = bytes.toString('latin1');
    let pos = 0;
    while (pos < text.length && !stopped) {
      if (text.charCodeAt(pos) === LF) {
        pos++;
        continue;
      }
      const lf = text.indexOf('\n', pos);
      if (lf === -1) return pos;
      if (text.charCodeAt(lf + 1) === LF && text.startsWith('data:', pos)) {
        const dataStart = text.charCodeAt(pos + 5) === SPACE ? pos + 6 : pos + 5;
        if (!handler.dataLine(bytes, text, pos, dataStart, lf)) stopped = true;
        pos = lf + 2;
        continue;
      }
      const end = text.indexOf('\n\n', lf);
      if (end === -1) return pos;
      deliver(blockParser().push(bytes.subarray(pos, end + 2)));
      pos = end + 2;
    }
    return text.length;
  }

  function toFullParser(chunk: Buffer): void {
    full = true;
    const p = blockParser();
    for (const part of pending) deliver(p.push(part));
    pending = [];
    deliver(p.push(chunk));
  }

  return {
    push(chunk: Buffer): void {
      if (stopped || chunk.length === 0) return;
      if (!started) {
        started = true;
        if (chunk[0] === 0xef) {
          full = true;
          parser = createSseParser();
        }
      }
      if (full) {
        deliver((parser as SseParser).push(chunk));
        return;
      }
      if (chunk.indexOf(CR) !== -1) {
        toFullParser(chunk);
        return;
      }
      let rest = chunk;
      if (pending.length > 0) {
        let cut: number;
        if (pendingEndsLf && chunk[0] === LF) cut = 1;
        else {
          const blank = chunk.indexOf('\n\n');
          if (blank === -1) {
            pending.push(chunk);
            pendingEndsLf = chunk[chunk.length - 1] === LF;
            return;
          }
          cut = blank + 2;
        }
        // The unfinished block ends in this read: it is the only block of the joined bytes.
        pending.push(chunk.subarray(0, cut));
        const joined = Buffer.concat(pending);
        pending = [];
        scan(joined);
        rest = chunk.subarray(cut);
      }
      const tail = scan(rest);
      if (tail < rest.length && !stopped) {
        pending = [rest.subarray(tail)];
        pendingEndsLf = rest[rest.length - 1] === LF;
      }
    },
    end(): void {
      if (stopped) return;
      // Nothing left over (the usual end): no parser to make.
      if (!parser && pending.length === 0) return;
      const p = blockParser();
      for (const part of pending) deliver(p.push(part));
      pending = [];
      deliver(p.end());
    },
  };
}
