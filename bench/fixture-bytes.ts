import { type LoadedFixture, loadFixture } from '../test/support/fixtures.js';

/** The recorded responses the bench's mock upstream replays, and the request bodies it sends. */
export const NON_STREAM_FIXTURE = 'openai/chat-completion-tool-calls';
export const STREAM_FIXTURE = 'openai/chat-stream-text';
/** The gap the slow mock leaves after the first SSE event. */
export const SLOW_GAP_MS = 50;

export type Mode = 'non-stream' | 'stream';

export function fixtureFor(mode: Mode): LoadedFixture {
  return loadFixture(mode === 'stream' ? STREAM_FIXTURE : NON_STREAM_FIXTURE);
}

/** A small chat request, as an app would send it. */
export function requestBody(mode: Mode): string {
  return JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'What is the weather in Paris and in Tokyo?' }],
    ...(mode === 'stream' ? { stream: true } : {}),
  });
}

/** Byte offset just past the first SSE event (its blank-line terminator). */
export function firstEventEnd(body: Buffer): number {
  const lf = body.indexOf('\n\n');
  const crlf = body.indexOf('\r\n\r\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return crlf + 4;
  return lf >= 0 ? lf + 2 : body.length;
}
