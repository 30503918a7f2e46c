/**
 * Incremental Server-Sent Events parser (WHATWG HTML §9.2 "event stream interpretation").
 *
 * - Bytes may be split anywhere: inside a line, inside a UTF-8 sequence, between CR and LF.
 * - Lines end with CRLF, LF or CR. A blank line dispatches the block.
 * - `:` lines are comments; `event:`, `data:` (multi-line, joined with "\n"), `id:`, `retry:`.
 * - A leading UTF-8 BOM is ignored.
 *
 * Every block comes back with its RAW bytes (from its first byte through its blank-line
 * terminator), so a same-protocol stream can be forwarded untouched, event by event.
 * `data: [DONE]` is an ordinary event here; callers decide what it means.
 */
export interface SseEvent {
  /** `event:` field, when present. */
  event?: string;
  /** `data:` lines joined with "\n"; undefined when the block had no data line. */
  data?: string;
  id?: string;
  retry?: number;
  /** Comment lines (text after the `:`), in order. */
  comments: string[];
  /** The block's bytes exactly as received, terminator included. */
  raw: Buffer;
  /** True only for a block returned by `end()` that the stream never terminated with a blank line. */
  unterminated: boolean;
}

export interface SseParser {
  /** Feed bytes; returns the blocks completed by them, in order. */
  push(chunk: Buffer): SseEvent[];
  /**
   * The stream ended. Returns the pending block (its last line ended by EOF) marked
   * `unterminated`, when it holds any field; otherwise nothing.
   */
  end(): SseEvent[];
  /**
   * True when no partial event is buffered, so a caller may scan `next` itself (a fast path for
   * plain `data:` events) and hand only the rest to `push`. Settles the BOM check for `next`.
   */
  atBoundary(next: Buffer): boolean;
}

const LF = 0x0a;
const CR = 0x0d;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

interface Block {
  event?: string;
  dataLines: string[];
  id?: string;
  retry?: number;
  comments: string[];
  fields: number;
}

function emptyBlock(): Block {
  return { dataLines: [], comments: [], fields: 0 };
}

function applyLine(block: Block, line: string): void {
  if (line.startsWith(':')) {
    block.comments.push(line.slice(1).replace(/^ /, ''));
    block.fields++;
    return;
  }
  const colon = line.indexOf(':');
  const name = colon === -1 ? line : line.slice(0, colon);
  let value = colon === -1 ? '' : line.slice(colon + 1);
  if (value.startsWith(' ')) value = value.slice(1);
  switch (name) {
    case 'data':
      block.dataLines.push(value);
      break;
    case 'event':
      block.event = value;
      break;
    case 'id':
      if (!value.includes('\u0000')) block.id = value;
      break;
    case 'retry':
      if (/^\d+$/.test(value)) block.retry = Number(value);
      break;
    default:
      // Unknown field names are ignored, as the spec says; still part of the raw bytes.
      break;
  }
  block.fields++;
}

function toEvent(block: Block, raw: Buffer, unterminated: boolean): SseEvent {
  const ev: SseEvent = { comments: block.comments, raw, unterminated };
  if (block.event !== undefined) ev.event = block.event;
  if (block.dataLines.length > 0) ev.data = block.dataLines.join('\n');
  if (block.id !== undefined) ev.id = block.id;
  if (block.retry !== undefined) ev.retry = block.retry;
  return ev;
}

export interface SseParserOptions {
  /**
   * The stream is already under way (a caller read its start itself): no leading-BOM check.
   * Default false.
   */
  midStream?: boolean;
}

export function createSseParser(options: SseParserOptions = {}): SseParser {
  let block = emptyBlock();
  /** Raw slices of the current block (lines already split plus the current partial line). */
  let rawParts: Buffer[] = [];
  /** Bytes of the current, not yet terminated, line. */
  let lineParts: Buffer[] = [];
  /** The previous chunk ended with CR: a leading LF in the next chunk belongs to that CRLF. */
  let pendingCr = false;
  let atStreamStart = options.midStream !== true;
  let bomCheck: Buffer | undefined;
  let ended = false;

  /** Adjacent slices of one chunk are merged, so an event inside one read is a zero-copy view. */
  function pushRaw(part: Buffer): void {
    const prev = rawParts[rawParts.length - 1];
    if (prev && prev.buffer === part.buffer && prev.byteOffset + prev.length === part.byteOffset) {
      rawParts[rawParts.length - 1] = Buffer.from(prev.buffer, prev.byteOffset, prev.length + part.length);
    } else {
      rawParts.push(part);
    }
  }

  function takeLine(): string {
    const line = lineParts.length === 1 ? (lineParts[0] as Buffer) : Buffer.concat(lineParts);
    lineParts = [];
    return line.toString('utf8');
  }

  function finishLine(out: SseEvent[]): void {
    const line = takeLine();
    if (line === '') {
      const raw = rawParts.length === 1 ? (rawParts[0] as Buffer) : Buffer.concat(rawParts);
      rawParts = [];
      // A blank line with nothing before it still dispatches (per spec, an empty block is ignored).
      if (block.fields > 0) out.push(toEvent(block, raw, false));
      block = emptyBlock();
      return;
    }
    applyLine(block, line);
  }

  function stripBom(chunk: Buffer): Buffer | undefined {
    // Hold bytes until we know whether the stream starts with a BOM.
    const joined = bomCheck ? Buffer.concat([bomCheck, chunk]) : chunk;
    if (joined.length < BOM.length && BOM.subarray(0, joined.length).equals(joined)) {
      bomCheck = joined;
      return undefined;
    }
    bomCheck = undefined;
    atStreamStart = false;
    if (joined.subarray(0, BOM.length).equals(BOM)) {
      rawParts.push(joined.subarray(0, BOM.length));
      return joined.subarray(BOM.length);
    }
    return joined;
  }

  return {
    push(input: Buffer): SseEvent[] {
      const out: SseEvent[] = [];
      if (ended || input.length === 0) return out;
      let chunk: Buffer | undefined = input;
      if (atStreamStart) {
        chunk = stripBom(input);
        if (!chunk) return out;
      }
      let start = 0;
      let i = 0;
      if (pendingCr) {
        pendingCr = false;
        if (chunk[0] === LF) {
          rawParts.push(chunk.subarray(0, 1));
          start = 1;
          i = 1;
        }
      }
      // Most streams use LF only: then the native indexOf finds line ends; otherwise scan bytes.
      const lfOnly = chunk.indexOf(CR) === -1;
      for (; i < chunk.length; i++) {
        if (lfOnly) {
          i = chunk.indexOf(LF, i);
          if (i === -1) break;
        } else {
          const c = chunk[i];
          if (c !== LF && c !== CR) continue;
        }
        const b = chunk[i];
        if (i > start) lineParts.push(chunk.subarray(start, i));
        let end = i + 1;
        if (b === CR) {
          if (i + 1 < chunk.length) {
            if (chunk[i + 1] === LF) end = i + 2;
          } else {
            pendingCr = true;
          }
        }
        pushRaw(chunk.subarray(start, end));
        finishLine(out);
        start = end;
        i = end - 1;
      }
      if (start < chunk.length) {
        const rest = chunk.subarray(start);
        lineParts.push(rest);
        pushRaw(rest);
      }
      return out;
    },

    atBoundary(next: Buffer): boolean {
      if (ended || bomCheck || pendingCr || rawParts.length > 0 || lineParts.length > 0 || block.fields > 0) return false;
      if (atStreamStart) {
        if (next.length === 0 || next[0] === 0xef) return false;
        atStreamStart = false;
      }
      return true;
    },

    end(): SseEvent[] {
      if (ended) return [];
      ended = true;
      const out: SseEvent[] = [];
      if (bomCheck) {
        rawParts.push(bomCheck);
        lineParts.push(bomCheck);
        bomCheck = undefined;
      }
      if (lineParts.length > 0) applyLine(block, takeLine());
      if (block.fields > 0 && rawParts.length > 0) {
        out.push(toEvent(block, Buffer.concat(rawParts), true));
      }
      rawParts = [];
      block = emptyBlock();
      return out;
    },
  };
}
