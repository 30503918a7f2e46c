import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import express from 'express';
import { monoMs } from '../core/clock.js';
import { GatewayError, toGatewayError } from '../core/errors.js';
import type { Config } from '../config/types.js';
import type { AppResponder } from '../gateway/app-responder.js';
import type { GatewayDeps } from '../gateway/deps.js';
import { handleCall, type IncomingCall, incomingCall } from '../gateway/handle-call.js';
import { sendModels } from './models-route.js';
import { checkClientToken } from './client-auth.js';
import { createFastFront, type FastFront, type FastHandler } from './fast-http/fast-front.js';
import { NodeResponder } from './node-responder.js';
import { createPassthrough } from './passthrough-proxy.js';
import { parseJsonBody, readJsonBody, tooLarge } from './read-json-body.js';
import { sendError } from './render-error.js';

const TRANSLATED: Record<string, 'chat' | 'embeddings'> = {
  '/v1/chat/completions': 'chat',
  '/v1/embeddings': 'embeddings',
};

export interface ApiServer {
  server: Server;
  inflight(): number;
  /** Stop taking new calls (503 shutting_down); in-flight ones finish. */
  drain(): void;
  /** Close idle keep-alive connections (the fast front's and node:http's). */
  closeIdleConnections(): void;
  closeAllConnections(): void;
}

/** SWITCHYARD_FAST_HTTP=0 serves every request through node:http (the fast front is off). */
export function fastFrontEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.SWITCHYARD_FAST_HTTP !== '0' && env.SWITCHYARD_FAST_HTTP !== 'false';
}

const NO_BODY = Buffer.alloc(0);

/**
 * The app-facing port. Chat completions and embeddings are served by the fast front
 * (fast-http/fast-front.ts) straight on the socket; anything it does not claim goes to node:http,
 * where the same calls run over IncomingMessage/ServerResponse, `/v1/models` is answered, every
 * other path under /v1 goes to an express app that does the verbatim passthrough (http-proxy),
 * and the rest is an OpenAI-style 404.
 */
export function createApiServer(opts: { deps: GatewayDeps; config: () => Config; fastHttp?: boolean }): ApiServer {
  const { deps } = opts;
  let inflight = 0;
  let draining = false;
  const passthrough = createPassthrough(deps);
  const app = express();
  app.disable('x-powered-by');
  app.all(/^\/v1\/.+/, (req, res) =>
    passthrough(req, res, opts.config(), (req as IncomingMessage & { receivedAt?: number }).receivedAt ?? monoMs()),
  );
  app.use((req, res) =>
    sendError(
      res,
      new GatewayError({
        kind: 'not_found',
        message: `Unknown path ${req.method} ${req.path}. Switchyard serves the OpenAI API under /v1.`,
      }),
    ),
  );

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const receivedAt = monoMs();
    if (draining) {
      res.setHeader('connection', 'close');
      sendError(res, new GatewayError({ kind: 'shutting_down', message: 'The sidecar is shutting down; retry.' }));
      return;
    }
    inflight++;
    res.once('close', () => inflight--);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const operation = TRANSLATED[path];
    const denied = path.startsWith('/v1/') ? checkClientToken(opts.config(), req.headers) : undefined;
    if (denied && !operation) {
      req.resume();
      sendError(res, denied);
      return;
    }
    if (operation) {
      if (req.method !== 'POST') {
        sendError(res, new GatewayError({ kind: 'method_not_allowed', message: `${path} accepts POST only.` }));
        return;
      }
      void translated(req, res, operation, path, receivedAt, denied);
      return;
    }
    if (path === '/v1/models' && req.method === 'GET') {
      sendModels(res, opts.config());
      return;
    }
    (req as IncomingMessage & { receivedAt?: number }).receivedAt = receivedAt;
    app(req, res);
  };

  /**
   * One chat/embeddings call, from either front: reads the body, runs the gateway, renders the
   * error when nothing was committed. A request rejected before routing (no or bad token, bad
   * JSON, too large) still becomes one span and one ledger row, and nothing goes upstream.
   */
  const runCall = async (
    call: Omit<IncomingCall, 'body' | 'rawBody' | 'rejected'>,
    body: () => Promise<Buffer>,
    denied: GatewayError | undefined,
    sendErr: (error: GatewayError) => void,
  ) => {
    const config = opts.config();
    try {
      let error: GatewayError | undefined;
      try {
        if (denied) throw denied;
        const raw = await body();
        error = await handleCall(deps, config, incomingCall(call, parseJsonBody(raw), raw, undefined));
      } catch (e) {
        if (!(e instanceof GatewayError)) throw e;
        error = await handleCall(deps, config, incomingCall(call, {}, NO_BODY, e));
      }
      if (error && !call.responder.committed) sendErr(error);
    } catch (e) {
      sendErr(toGatewayError(e));
      if (!(e instanceof GatewayError)) deps.log.error('unexpected server failure', { error: (e as Error)?.stack ?? String(e) });
    }
  };

  const translated = async (
    req: IncomingMessage,
    res: ServerResponse,
    operation: 'chat' | 'embeddings',
    path: string,
    receivedAt: number,
    denied: GatewayError | undefined,
  ) => {
    const responder: AppResponder = new NodeResponder(res);
    if (denied) req.resume();
    await runCall(
      { operation, method: 'POST', path, headers: req.headers, receivedAt, responder },
      async () => (await readJsonBody(req, opts.config().server.maxBodyBytes)).raw,
      denied,
      (error) => {
        if (error.kind === 'body_too_large' && !res.headersSent) res.setHeader('connection', 'close');
        sendError(res, error);
      },
    );
  };

  const fastHandlers = new Map<string, FastHandler>();
  for (const [path, operation] of Object.entries(TRANSLATED)) {
    fastHandlers.set(path, async (request, responder) => {
      inflight++;
      try {
        const { head } = request;
        await runCall(
          { operation, method: 'POST', path, headers: head.headers, receivedAt: request.receivedAt, responder },
          async () => request.body ?? Promise.reject(tooLarge(opts.config().server.maxBodyBytes)),
          checkClientToken(opts.config(), head.headers),
          (error) => responder.sendError(error, error.kind === 'body_too_large'),
        );
      } finally {
        inflight--;
      }
    });
  }

  const server = createServer({ keepAliveTimeout: 65_000 }, onRequest);
  let front: FastFront | undefined;
  if (opts.fastHttp ?? fastFrontEnabled()) {
    front = createFastFront({
      server,
      // While draining, node:http answers (503 shutting_down, connection: close).
      route: (head, path) => (head.method === 'POST' && !draining ? fastHandlers.get(path) : undefined),
      maxBodyBytes: () => opts.config().server.maxBodyBytes,
      draining: () => draining,
      onError: (message, fields) => deps.log.error(message, fields),
    });
  }
  return {
    server,
    inflight: () => inflight,
    drain() {
      draining = true;
    },
    closeIdleConnections() {
      front?.closeIdleConnections();
      server.closeIdleConnections();
    },
    closeAllConnections() {
      front?.closeAllConnections();
      server.closeAllConnections();
    },
  };
}
