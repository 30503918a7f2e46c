import type { ServerResponse } from 'node:http';
import type { GatewayError } from '../core/errors.js';
import type { AppResponder } from '../gateway/app-responder.js';
import { AbortListeners } from './abort-listeners.js';
import { streamErrorEvent } from './render-error.js';

/** AppResponder over a node:http response. Aborts when the app disconnects early. */
export class NodeResponder implements AppResponder {
  private readonly abortListeners = new AbortListeners();
  committed = false;

  constructor(private readonly res: ServerResponse) {
    res.once('close', () => {
      if (!res.writableFinished) this.abortListeners.abort();
    });
  }

  get aborted(): boolean {
    return this.abortListeners.aborted;
  }

  onAbort(listener: () => void): () => void {
    return this.abortListeners.onAbort(listener);
  }

  send(status: number, contentType: string, body: Buffer): void {
    this.committed = true;
    this.res.writeHead(status, { 'content-type': contentType, 'content-length': body.length });
    this.res.end(body);
  }

  startStream(contentType: string): void {
    this.committed = true;
    this.res.writeHead(200, {
      'content-type': contentType,
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
  }

  write(chunk: Buffer): Promise<void> | undefined {
    if (this.res.destroyed) return undefined;
    if (this.res.write(chunk)) return undefined;
    return new Promise((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  failStream(error: GatewayError): void {
    if (this.res.destroyed || this.res.writableEnded) return;
    this.res.end(streamErrorEvent(error));
  }

  end(): void {
    if (!this.res.writableEnded) this.res.end();
  }
}
