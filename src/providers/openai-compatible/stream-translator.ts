import { GatewayError } from '../../core/errors.js';
import type { Usage } from '../../core/usage.js';
import { asString, isRecord, type JsonRecord, tryParseJson } from '../shared/json.js';
import { createSseParser, type SseEvent } from '../shared/sse-parser.js';
import type { ResponseFacts, StreamStep, StreamTranslator, StreamTranslatorInput } from '../types.js';
import { extractUpstreamErrorValue } from './extract-upstream-error.js';
import { mapInBandErrorKind } from './map-upstream-status.js';
import { normalizeOpenAiUsage } from './normalize-usage.js';

/** Close an event the upstream left unterminated at EOF, so the app's parser sees it whole. */
function terminate(raw: Buffer): Buffer {
  const last = raw[raw.length - 1];
  return Buffer.concat([raw, Buffer.from(last === 0x0a || last === 0x0d ? '\n' : '\n\n')]);
}

/**
 * One scan for anything we observe in a chunk: an error, a non-null finish reason or usage, or the
 * usage-only chunk. Most chunks of a long stream are plain deltas; skipping their JSON.parse is the
 * largest saving on the streaming hot path.
 */
const INTERESTING = /"(?:error|finish_reason|usage)"\s*:\s*(?!null)|"choices"\s*:\s*\[\s*\]/;

function mustParse(ev: SseEvent, dataEvents: number, captureContent: boolean): boolean {
  if (dataEvents === 1 || captureContent || ev.event !== undefined) return true;
  return INTERESTING.test(ev.data as string);
}

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const BLANK_LINE = Buffer.from('\n\n');
const DATA_PREFIX = Buffer.from('data:');

function isDataLine(chunk: Buffer, pos: number): boolean {
  return chunk.length >= pos + 5 && chunk.compare(DATA_PREFIX, 0, 5, pos, pos + 5) === 0;
}

const NO_OUTPUT: StreamStep = Object.freeze({ out: [] }) as StreamStep;

/**
 * Same-protocol stream pass-through with observation. Each complete upstream event is forwarded
 * as its raw bytes, in order, as soon as its blank line arrives; nothing is re-serialised.
 *
 * - The usage-only chunk (`choices: []` with `usage`) is dropped when `stripUsageChunk` (we asked
 *   for it, the app did not).
 * - Usage is read from top-level `usage` or, for Moonshot, `choices[i].usage`; the last one wins.
 * - A `data: {"error":…}` event, an `event: error` event, or a chunk that is not a JSON object
 *   breaks the stream: `StreamStep.error`, reported once; later input is ignored.
 * - `end()` without `data: [DONE]`, or without any `finish_reason`, is `upstream_truncated`.
 * - Comment-only blocks (keep-alives) before the first data event are dropped, so they cannot
 *   commit the response before anything real arrived; later ones are forwarded.
 * - Output text is collected only when `captureContent`.
 */
export function createOpenAiStreamTranslator(input: StreamTranslatorInput): StreamTranslator {
  const parser = createSseParser();
  const finishReasons = new Map<number, string>();
  const text: string[] = [];
  let usage: Usage | undefined;
  let responseModel: string | undefined;
  let responseId: string | undefined;
  let sawDone = false;
  let dataEvents = 0;
  let broken = false;
  let ended = false;

  function fail(out: Buffer[], error: GatewayError): StreamStep {
    broken = true;
    return { out, error };
  }

  function observeChunk(doc: JsonRecord): void {
    const id = asString(doc.id);
    if (id) responseId = id;
    const model = asString(doc.model);
    if (model) responseModel = model;
    const top = normalizeOpenAiUsage(doc.usage);
    if (top) usage = top;
    if (!Array.isArray(doc.choices)) return;
    for (const [pos, choice] of doc.choices.entries()) {
      if (!isRecord(choice)) continue;
      const index = typeof choice.index === 'number' ? choice.index : pos;
      const reason = asString(choice.finish_reason);
      if (reason) finishReasons.set(index, reason);
      const inChoice = normalizeOpenAiUsage(choice.usage);
      if (inChoice) usage = inChoice;
      if (input.captureContent && isRecord(choice.delta)) {
        const piece = asString(choice.delta.content);
        if (piece) text.push(piece);
      }
    }
  }

  /** Returns an error when the event breaks the stream. */
  function handle(ev: SseEvent, out: Buffer[]): GatewayError | undefined {
    if (ev.data === undefined) {
      if (dataEvents > 0 && !sawDone) out.push(ev.raw);
      return undefined;
    }
    if (sawDone) return undefined;
    dataEvents++;
    const raw = ev.unterminated ? terminate(ev.raw) : ev.raw;
    if (ev.data.trim() === '[DONE]') {
      sawDone = true;
      out.push(raw);
      return undefined;
    }
    if (ev.unterminated) {
      return new GatewayError({ kind: 'upstream_truncated', message: 'Upstream stream ended inside an event.' });
    }
    if (!mustParse(ev, dataEvents, input.captureContent)) {
      // A plain delta: nothing to observe. Check it is a JSON object without paying for a parse.
      const d = ev.data;
      if (d.charCodeAt(0) !== 0x7b || d.charCodeAt(d.length - 1) !== 0x7d) {
        return new GatewayError({ kind: 'upstream_bad_response', message: 'Upstream sent a stream chunk that is not a JSON object.' });
      }
      out.push(raw);
      return undefined;
    }
    const parsed = tryParseJson(ev.data);
    if (!parsed.ok || !isRecord(parsed.value)) {
      return new GatewayError({ kind: 'upstream_bad_response', message: 'Upstream sent a stream chunk that is not a JSON object.' });
    }
    const doc = parsed.value;
    if (ev.event === 'error' || doc.error !== undefined) {
      const info = extractUpstreamErrorValue(doc) ?? {};
      return new GatewayError({
        kind: mapInBandErrorKind(info),
        message: info.message ?? 'Upstream reported an error mid-stream.',
        param: info.param ?? null,
        code: info.code ?? info.type ?? null,
      });
    }
    observeChunk(doc);
    const usageOnly = Array.isArray(doc.choices) && doc.choices.length === 0 && isRecord(doc.usage);
    if (!(usageOnly && input.stripUsageChunk)) out.push(raw);
    return undefined;
  }

  /**
   * Fast path for the common shape (LF line ends, one `data:` line per event, at an event
   * boundary): events are found with indexOf, plain deltas are checked on a latin1 view without a
   * parse, and runs of forwarded events leave as one zero-copy slice. Anything else (comments,
   * `event:` lines, multi-line data, a partial event) goes to the full SSE parser. Returns how many
   * bytes it consumed.
   */
  function fastRun(chunk: Buffer, out: Buffer[]): { consumed: number; error?: GatewayError } {
    let pos = 0;
    let runStart = -1;
    const flushRun = (end: number) => {
      if (runStart >= 0 && end > runStart) out.push(chunk.subarray(runStart, end));
      runStart = -1;
    };
    while (pos < chunk.length) {
      const end = chunk.indexOf(BLANK_LINE, pos);
      if (end === -1 || !isDataLine(chunk, pos) || chunk.indexOf(LF, pos) !== end) break;
      const dataStart = chunk[pos + 5] === SPACE ? pos + 6 : pos + 5;
      const rawEnd = end + 2;
      if (dataEvents >= 1 && !sawDone && !input.captureContent) {
        const view = chunk.toString('latin1', dataStart, end);
        if (!INTERESTING.test(view) && view.charCodeAt(0) === 0x7b && view.charCodeAt(view.length - 1) === 0x7d) {
          dataEvents++;
          if (runStart < 0) runStart = pos;
          pos = rawEnd;
          continue;
        }
      }
      flushRun(pos);
      const ev: SseEvent = {
        data: chunk.toString('utf8', dataStart, end),
        raw: chunk.subarray(pos, rawEnd),
        comments: [],
        unterminated: false,
      };
      const error = handle(ev, out);
      if (error) return { consumed: rawEnd, error };
      pos = rawEnd;
    }
    flushRun(pos);
    return { consumed: pos };
  }

  function run(events: SseEvent[]): StreamStep {
    const out: Buffer[] = [];
    for (const ev of events) {
      const error = handle(ev, out);
      if (error) return fail(out, error);
    }
    return out.length === 0 ? NO_OUTPUT : { out };
  }

  return {
    push(chunk: Buffer): StreamStep {
      if (broken || ended) return NO_OUTPUT;
      if (chunk.indexOf(CR) !== -1 || !parser.atBoundary(chunk)) return run(parser.push(chunk));
      const out: Buffer[] = [];
      const fast = fastRun(chunk, out);
      if (fast.error) return fail(out, fast.error);
      if (fast.consumed < chunk.length) {
        const rest = run(parser.push(chunk.subarray(fast.consumed)));
        out.push(...rest.out);
        if (rest.error) return { out, error: rest.error };
      }
      return out.length === 0 ? NO_OUTPUT : { out };
    },
    end(): StreamStep {
      if (broken || ended) return NO_OUTPUT;
      ended = true;
      const step = run(parser.end());
      if (step.error) return step;
      if (!sawDone) {
        return fail(step.out, new GatewayError({ kind: 'upstream_truncated', message: 'Upstream stream ended before [DONE].' }));
      }
      if (finishReasons.size === 0) {
        return fail(step.out, new GatewayError({ kind: 'upstream_truncated', message: 'Upstream stream ended without a finish_reason.' }));
      }
      return step;
    },
    facts(): ResponseFacts {
      const f: ResponseFacts = {};
      if (usage) f.usage = { ...usage };
      f.responseModel = responseModel ?? input.model;
      if (responseId) f.responseId = responseId;
      if (finishReasons.size > 0) f.finishReasons = [...finishReasons.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
      if (input.captureContent && text.length > 0) f.outputText = text.join('');
      return f;
    },
    get eventCount(): number {
      return dataEvents;
    },
  };
}
