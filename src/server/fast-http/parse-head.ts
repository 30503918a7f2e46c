/**
 * A strict parser for the one request shape the fast front serves itself: an HTTP/1.1 `GET` or
 * `POST` with a `content-length` body (or none), each header once, nothing exotic. Anything else
 * (chunked bodies, `Expect`, `Upgrade`, HTTP/1.0, repeated or malformed headers, obs-fold,
 * control characters, HEAD and other methods) returns `null`, and the connection is handed to
 * node:http, whose llhttp parser answers it (with its own 400/431 where the bytes are bad).
 *
 * Strict on purpose: this parser never accepts bytes that llhttp would read differently, so a
 * request cannot mean one thing here and another thing after a hand-off (no smuggling surface).
 */
export interface RequestHead {
  method: 'GET' | 'POST';
  /** The request target as sent (path and query). */
  target: string;
  /** Lower-case names, one string value each (as IncomingHttpHeaders shows single headers). */
  headers: Record<string, string>;
  contentLength: number;
  /** False when the client sent `connection: close`. */
  keepAlive: boolean;
}

/** node:http's default limit for the request line plus headers. */
export const MAX_HEAD_BYTES = 16 * 1024;

/** RFC 9110 tchar, by character code. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1;

function isToken(s: string, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TCHAR[c] === 0) return false;
  }
  return true;
}

/** Visible ASCII, space and tab: what a header value may hold here (obs-text goes to node:http). */
function isFieldValue(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c > 0x7e) return false;
  }
  return true;
}

const TARGET = /^\/[\x21-\x7e]*$/;
const DIGITS = /^\d{1,15}$/;

/** Headers that change how the message is framed or what the connection becomes. */
const HAND_OFF = new Set(['transfer-encoding', 'expect', 'upgrade', 'http2-settings', 'te', 'trailer']);

/**
 * Parses `buf[0, end)`, the head up to (not including) the blank line's CRLFCRLF. Returns null
 * when node:http must take the request.
 */
export function parseHead(buf: Buffer, end: number): RequestHead | null {
  const text = buf.toString('latin1', 0, end);
  const lineEnd = text.indexOf('\r\n');
  const requestLine = lineEnd < 0 ? text : text.slice(0, lineEnd);
  const sp1 = requestLine.indexOf(' ');
  const sp2 = requestLine.indexOf(' ', sp1 + 1);
  if (sp1 < 0 || sp2 < 0 || requestLine.slice(sp2 + 1) !== 'HTTP/1.1') return null;
  const method = requestLine.slice(0, sp1);
  if (method !== 'POST' && method !== 'GET') return null;
  const target = requestLine.slice(sp1 + 1, sp2);
  if (!TARGET.test(target)) return null;

  const headers: Record<string, string> = {};
  let contentLength = 0;
  let keepAlive = true;
  let pos = lineEnd < 0 ? text.length : lineEnd + 2;
  while (pos < text.length) {
    let next = text.indexOf('\r\n', pos);
    if (next < 0) next = text.length;
    const colon = text.indexOf(':', pos);
    if (colon < 0 || colon >= next || !isToken(text, pos, colon)) return null;
    // The value without leading and trailing spaces and tabs.
    let from = colon + 1;
    let to = next;
    while (from < to && (text.charCodeAt(from) === 0x20 || text.charCodeAt(from) === 0x09)) from++;
    while (to > from && (text.charCodeAt(to - 1) === 0x20 || text.charCodeAt(to - 1) === 0x09)) to--;
    if (!isFieldValue(text, from, to)) return null;
    const name = text.slice(pos, colon).toLowerCase();
    const value = text.slice(from, to);
    pos = next + 2;
    if (headers[name] !== undefined || HAND_OFF.has(name)) return null;
    if (name === 'content-length') {
      if (!DIGITS.test(value)) return null;
      contentLength = Number(value);
    } else if (name === 'connection') {
      for (const t of value.toLowerCase().split(',')) {
        const token = t.trim();
        if (token === 'close') keepAlive = false;
        else if (token === 'upgrade' || token === 'http2-settings') return null;
      }
    }
    headers[name] = value;
  }
  if (method === 'GET' && contentLength !== 0) return null;
  return { method, target, headers, contentLength, keepAlive };
}
