import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { GatewayError } from '../../core/errors.js';
import type { AppResponder } from '../../gateway/app-responder.js';
import { AbortListeners } from '../abort-listeners.js';
import { errorBody, streamErrorEvent } from '../render-error.js';

/**
 * AppResponder straight onto the socket (the fast front's side of the hot path): a complete
 * response is one write (status line, headers and body), a stream sends its head with the first
 * chunk and frames every chunk itself (`transfer-encoding: chunked`). The header set is what
 * node:http would send for the same response: `date`, `connection`, `keep-alive`.
 */
export interface ResponseSocketOwner {
  readonly socket: Socket;
  /** `keep-alive: timeout=N` seconds. */
  readonly keepAliveSeconds: number;
  /** Whether this response must close the connection (the client asked, or the server drains). */
  closeAfterResponse(): boolean;
  /** The response is complete (bytes queued on the socket). */
  responseDone(close: boolean): void;
}

/** Bodies up to this size are copied next to the head and written once; larger ones go as a writev. */
const COPY_LIMIT = 16 * 1024;
const CRLF = Buffer.from('\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

let dateSecond = 0;
let dateText = '';

/** The `date` header value, computed once per second (as node:http caches it). */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

export function responseHead(status: number, fields: string, close: boolean, keepAliveSeconds: number): string {
  const connection = close ? 'connection: close\r\n' : `connection: keep-alive\r\nkeep-alive: timeout=${keepAliveSeconds}\r\n`;
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n${fields}date: ${httpDate()}\r\n${connection}\r\n`;
}

/** Writes head + body as one buffer when small, else as a corked pair (one writev). */
function writeWhole(socket: Socket, head: string, body: Buffer | undefined): boolean {
  if (body === undefined || body.length === 0) return socket.write(head, 'latin1');
  if (body.length <= COPY_LIMIT) {
    const headLen = Buffer.byteLength(head, 'latin1');
    const out = Buffer.allocUnsafe(headLen + body.length);
    out.write(head, 0, 'latin1');
    body.copy(out, headLen);
    return socket.write(out);
  }
  socket.cork();
  socket.write(head, 'latin1');
  const ok = socket.write(body);
  socket.uncork();
  return ok;
}

/** Statuses whose responses have no body (RFC 9110 §6.4.1). */
function bodiless(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}

export class FastResponder implements AppResponder {
  committed = false;
  private readonly abortListeners = new AbortListeners();
  private streamHead: string | undefined;
  private streaming = false;
  private done = false;
  /** A stream's writes are corked until the end of the loop turn: the last chunk and the end go out together. */
  private corked = false;
  private readonly uncork = () => {
    this.corked = false;
    this.owner.socket.uncork();
  };

  constructor(private readonly owner: ResponseSocketOwner) {}

  get aborted(): boolean {
    return this.abortListeners.aborted;
  }

  onAbort(listener: () => void): () => void {
    return this.abortListeners.onAbort(listener);
  }

  /** The client went away before the response was complete. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    this.abortListeners.abort();
  }

  get finished(): boolean {
    return this.done;
  }

  send(status: number, contentType: string, body: Buffer): void {
    this.sendWhole(status, `content-type: ${contentType}\r\n`, body);
  }

  /** A complete response with extra header lines (`name: value\r\n` each). */
  sendWhole(status: number, fields: string, body: Buffer | undefined, forceClose = false): void {
    if (this.done || this.committed) return;
    this.committed = true;
    const close = forceClose || this.owner.closeAfterResponse();
    const noBody = bodiless(status);
    const length = noBody ? '' : `content-length: ${body?.length ?? 0}\r\n`;
    writeWhole(this.owner.socket, responseHead(status, fields + length, close, this.owner.keepAliveSeconds), noBody ? undefined : body);
    this.finish(close);
  }

  /** An OpenAI-style JSON error (with `retry-after` for a 429 that carries one). */
  sendError(error: GatewayError, forceClose = false): void {
    const body = Buffer.from(errorBody(error));
    let fields = 'content-type: application/json\r\n';
    if (error.retryAfterMs !== undefined && error.status === 429) fields += `retry-after: ${Math.ceil(error.retryAfterMs / 1000)}\r\n`;
    this.sendWhole(error.status, fields, body, forceClose);
  }

  startStream(contentType: string): void {
    if (this.done || this.committed) return;
    this.committed = true;
    this.streaming = true;
    this.streamHead = responseHead(
      200,
      `content-type: ${contentType}\r\ncache-control: no-cache\r\nx-accel-buffering: no\r\ntransfer-encoding: chunked\r\n`,
      this.owner.closeAfterResponse(),
      this.owner.keepAliveSeconds,
    );
  }

  write(chunk: Buffer): Promise<void> | undefined {
    const socket = this.owner.socket;
    if (this.done || !this.streaming || socket.destroyed || chunk.length === 0) return undefined;
    if (!this.writeChunk(chunk)) return drained(socket);
    return undefined;
  }

  failStream(error: GatewayError): void {
    if (this.done || !this.streaming || this.owner.socket.destroyed) return;
    this.writeChunk(streamErrorEvent(error));
    this.end();
  }

  end(): void {
    if (this.done || !this.committed) return;
    if (this.streaming) {
      const socket = this.owner.socket;
      if (this.streamHead !== undefined) {
        socket.write(`${this.takeHead()}0\r\n\r\n`, 'latin1');
      } else socket.write(LAST_CHUNK);
    }
    this.finish(this.owner.closeAfterResponse());
  }

  private takeHead(): string {
    const head = this.streamHead as string;
    this.streamHead = undefined;
    return head;
  }

  /** One write per chunk: `<size>\r\n<bytes>\r\n`, with the response head in front of the first. */
  private writeChunk(chunk: Buffer): boolean {
    const socket = this.owner.socket;
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      setImmediate(this.uncork);
    }
    const prefix = `${this.streamHead !== undefined ? this.takeHead() : ''}${chunk.length.toString(16)}\r\n`;
    if (chunk.length <= COPY_LIMIT) {
      const prefixLen = Buffer.byteLength(prefix, 'latin1');
      const out = Buffer.allocUnsafe(prefixLen + chunk.length + 2);
      out.write(prefix, 0, 'latin1');
      chunk.copy(out, prefixLen);
      out[out.length - 2] = 13;
      out[out.length - 1] = 10;
      return socket.write(out);
    }
    socket.cork();
    socket.write(prefix, 'latin1');
    socket.write(chunk);
    const ok = socket.write(CRLF);
    socket.uncork();
    return ok;
  }

  private finish(close: boolean): void {
    this.done = true;
    this.owner.responseDone(close);
  }
}

function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}
