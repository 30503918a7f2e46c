import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { monoMs } from '../../core/clock.js';
import { GatewayError } from '../../core/errors.js';
import { FastResponder, type ResponseSocketOwner } from './fast-responder.js';
import { MAX_HEAD_BYTES, parseHead, type RequestHead } from './parse-head.js';

/**
 * The fast front of the API port. It takes every connection the node:http server accepts, reads
 * request heads itself and serves the hot requests (the ones `route` claims) straight on the
 * socket: no IncomingMessage, no ServerResponse, one write per response. The first request it
 * does not claim (another path, a shape parse-head.ts refuses, a draining server) hands the
 * connection, with every byte read so far, to node:http's own connection handler for good.
 *
 * node:http's cost per request is about half of what a bare node:http + undici passthrough spends
 * (docs/benchmarks.md); this is where the sidecar wins it back.
 *
 * Timeouts follow the node:http server's settings: `headersTimeout` for a head, `requestTimeout`
 * for a whole request, `keepAliveTimeout` between requests (checked once a second).
 */
export interface FastRequest {
  head: RequestHead;
  /** The target's path (no query). */
  path: string;
  /** monoMs() when the head was complete. */
  receivedAt: number;
  /** The body, or undefined when its declared length is over `maxBodyBytes` (not read). */
  body: Buffer | undefined;
}

export type FastHandler = (request: FastRequest, responder: FastResponder) => Promise<void>;

export interface FastFrontOptions {
  /** The API port's node:http server (it listens; the front takes over its `connection` event). */
  server: Server;
  /** The handler for a request the fast path serves, or undefined to hand it to node:http. */
  route(head: RequestHead, path: string): FastHandler | undefined;
  maxBodyBytes(): number;
  /** Responses close their connection while this is true (shutdown). */
  draining(): boolean;
  onError(message: string, fields: Record<string, unknown>): void;
}

export interface FastFront {
  /** Connections the front serves now (not handed off). */
  readonly connections: number;
  /** Closes the front's idle keep-alive connections (node:http's are closed by the server). */
  closeIdleConnections(): void;
  closeAllConnections(): void;
}

const HEAD_END = Buffer.from('\r\n\r\n');
/** Bytes a client may send ahead (pipelining) while a response is in progress before we pause it. */
const MAX_AHEAD_BYTES = 1024 * 1024;
const EMPTY = Buffer.alloc(0);

enum State {
  Head = 0,
  Body = 1,
  Busy = 2,
  Gone = 3,
}

export function createFastFront(o: FastFrontOptions): FastFront {
  const server = o.server;
  const nodeListeners = server.listeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  const live = new Set<Connection>();
  /** Coarse wall clock for timeouts (ms), advanced by the checker. */
  let now = Date.now();

  const front = {
    live,
    options: o,
    now: () => now,
    handOff(socket: Socket): void {
      for (const listener of nodeListeners) listener.call(server, socket);
    },
  };
  server.on('connection', (socket: Socket) => {
    const conn = new Connection(socket, front);
    live.add(conn);
  });

  const checker = setInterval(() => {
    now = Date.now();
    for (const conn of live) conn.checkTimeouts(now, server);
  }, 1000);
  checker.unref();
  server.once('close', () => clearInterval(checker));

  return {
    get connections() {
      return live.size;
    },
    closeIdleConnections() {
      for (const conn of live) if (conn.idle) conn.destroy();
    },
    closeAllConnections() {
      for (const conn of live) conn.destroy();
    },
  };
}

interface FrontContext {
  live: Set<Connection>;
  options: FastFrontOptions;
  now(): number;
  handOff(socket: Socket): void;
}

class Connection implements ResponseSocketOwner {
  private state = State.Head;
  /** Bytes read and not yet consumed. */
  private pending: Buffer | null = null;
  /** Where to resume looking for the end of the head. */
  private scanFrom = 0;
  private head: RequestHead | undefined;
  private handler: FastHandler | undefined;
  private path = '';
  private bodyStart = 0;
  private receivedAt = 0;
  private responder: FastResponder | undefined;
  private clientEnded = false;
  /** Coarse time the current request's first byte arrived, or when the connection went idle. */
  private since: number;
  private readonly onData = (chunk: Buffer) => this.data(chunk);
  private readonly onEnd = () => this.ended();
  private readonly onClose = () => this.closed();
  private readonly onError = () => this.socket.destroy();

  constructor(
    readonly socket: Socket,
    private readonly front: FrontContext,
  ) {
    this.since = front.now();
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
  }

  get keepAliveSeconds(): number {
    return Math.floor(this.front.options.server.keepAliveTimeout / 1000);
  }

  /** Between requests, nothing read. */
  get idle(): boolean {
    return this.state === State.Head && this.pending === null;
  }

  closeAfterResponse(): boolean {
    return this.clientEnded || this.head?.keepAlive === false || this.front.options.draining();
  }

  destroy(): void {
    this.forget();
    this.socket.destroy();
  }

  checkTimeouts(now: number, server: Server): void {
    const age = now - this.since;
    if (this.state === State.Head && this.pending === null) {
      if (server.keepAliveTimeout > 0 && age > server.keepAliveTimeout) this.destroy();
    } else if (this.state === State.Head) {
      if (server.headersTimeout > 0 && age > server.headersTimeout) this.timedOut();
    } else if (this.state === State.Body) {
      if (server.requestTimeout > 0 && age > server.requestTimeout) this.timedOut();
    }
  }

  responseDone(close: boolean): void {
    this.responder = undefined;
    this.head = undefined;
    this.handler = undefined;
    if (this.state === State.Gone) return;
    if (close) {
      this.forget();
      this.socket.off('data', this.onData);
      // Whatever else the client sends is read and dropped until the socket closes.
      this.socket.on('data', discard);
      this.socket.end();
      this.socket.setTimeout(5000, () => this.socket.destroy());
      return;
    }
    this.state = State.Head;
    this.since = this.front.now();
    if (this.socket.isPaused()) this.socket.resume();
    // A pipelined request already read: served after this turn, not inside the finished one.
    if (this.pending !== null) setImmediate(() => this.process());
  }

  private data(chunk: Buffer): void {
    if (this.pending === null) {
      this.pending = chunk;
      if (this.state === State.Head) this.since = this.front.now();
    } else this.pending = Buffer.concat([this.pending, chunk]);
    if (this.state === State.Busy) {
      if (this.pending.length > MAX_AHEAD_BYTES) this.socket.pause();
      return;
    }
    this.process();
  }

  private process(): void {
    if (this.state === State.Head) {
      const buf = this.pending;
      if (buf === null) return;
      const end = buf.indexOf(HEAD_END, this.scanFrom);
      if (end < 0) {
        if (buf.length > MAX_HEAD_BYTES) this.handOff();
        else this.scanFrom = Math.max(0, buf.length - 3);
        return;
      }
      this.scanFrom = 0;
      if (end > MAX_HEAD_BYTES) {
        this.handOff();
        return;
      }
      const head = parseHead(buf, end);
      if (head === null) {
        this.handOff();
        return;
      }
      const q = head.target.indexOf('?');
      const path = q < 0 ? head.target : head.target.slice(0, q);
      const handler = this.front.options.route(head, path);
      if (handler === undefined) {
        this.handOff();
        return;
      }
      this.receivedAt = monoMs();
      this.head = head;
      this.handler = handler;
      this.path = path;
      this.bodyStart = end + 4;
      if (head.contentLength > this.front.options.maxBodyBytes()) {
        // Not read: answered 413 at once, and the connection closes after it.
        this.pending = null;
        this.head = { ...head, keepAlive: false };
        this.dispatch(undefined);
        return;
      }
      this.state = State.Body;
    }
    if (this.state === State.Body) {
      const buf = this.pending ?? EMPTY;
      const head = this.head as RequestHead;
      const bodyEnd = this.bodyStart + head.contentLength;
      if (buf.length < bodyEnd) return;
      const body = buf.subarray(this.bodyStart, bodyEnd);
      this.pending = buf.length > bodyEnd ? buf.subarray(bodyEnd) : null;
      this.dispatch(body);
    }
  }

  private dispatch(body: Buffer | undefined): void {
    this.state = State.Busy;
    const responder = new FastResponder(this);
    this.responder = responder;
    const request: FastRequest = { head: this.head as RequestHead, path: this.path, receivedAt: this.receivedAt, body };
    (this.handler as FastHandler)(request, responder).then(
      () => this.settled(responder),
      (err: unknown) => {
        this.front.options.onError('fast front: handler failed', { error: (err as Error)?.stack ?? String(err) });
        this.settled(responder);
      },
    );
  }

  /** A handler that returns without finishing its response is a bug: answer 500 or cut the stream. */
  private settled(responder: FastResponder): void {
    if (responder.finished) return;
    if (!responder.committed) responder.sendError(new GatewayError({ kind: 'internal', message: 'Internal gateway error.' }), true);
    else this.destroy();
  }

  private handOff(): void {
    this.forget();
    const socket = this.socket;
    socket.off('data', this.onData);
    socket.off('end', this.onEnd);
    socket.off('close', this.onClose);
    socket.off('error', this.onError);
    socket.pause();
    if (this.pending !== null) socket.unshift(this.pending);
    this.pending = null;
    this.front.handOff(socket);
    socket.resume();
  }

  /** A head or body that did not arrive in time: 408 through the one error renderer, then close. */
  private timedOut(): void {
    const error = new GatewayError({
      kind: 'invalid_request',
      status: 408,
      code: 'request_timeout',
      message: 'The request was not received in time.',
    });
    new FastResponder(this).sendError(error, true);
  }

  /** The client half-closed: as node:http does (httpAllowHalfOpen off), that ends the exchange. */
  private ended(): void {
    this.clientEnded = true;
    this.responder?.abort();
    this.destroy();
  }

  private closed(): void {
    this.forget();
    this.responder?.abort();
  }

  private forget(): void {
    this.state = State.Gone;
    this.front.live.delete(this);
  }
}

function discard(): void {}
