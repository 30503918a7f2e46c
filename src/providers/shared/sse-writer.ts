/**
 * Formats Server-Sent Events. Multi-line data becomes several `data:` lines; every event ends
 * with a blank line. Used by cross-protocol translators and by the gateway when it must end a
 * committed stream itself (the error BODY comes from the one error renderer, not from here).
 */
export interface SseEventInit {
  event?: string;
  /** A string, or a value to JSON-encode. */
  data: string | object;
  id?: string;
  retry?: number;
}

/** The OpenAI stream terminator. */
export const SSE_DONE: Buffer = Buffer.from('data: [DONE]\n\n');

function noNewlines(field: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new TypeError(`SSE ${field} must not contain a line break.`);
  return value;
}

export function formatSseEvent(init: SseEventInit): Buffer {
  let text = '';
  if (init.event !== undefined) text += `event: ${noNewlines('event', init.event)}\n`;
  if (init.id !== undefined) text += `id: ${noNewlines('id', init.id)}\n`;
  if (init.retry !== undefined) text += `retry: ${Math.max(0, Math.trunc(init.retry))}\n`;
  const data = typeof init.data === 'string' ? init.data : JSON.stringify(init.data);
  for (const line of data.split(/\r\n|\r|\n/)) text += `data: ${line}\n`;
  return Buffer.from(`${text}\n`);
}

/** A comment line (keep-alive). */
export function formatSseComment(text = ''): Buffer {
  return Buffer.from(
    `${text
      .split(/\r\n|\r|\n/)
      .map((l) => `:${l === '' ? '' : ` ${l}`}`)
      .join('\n')}\n\n`,
  );
}
