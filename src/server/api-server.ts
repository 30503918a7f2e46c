import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import express from 'express';
import { monoMs } from '../core/clock.js';
import { GatewayError, toGatewayError } from '../core/errors.js';
import type { Config } from '../config/types.js';
import type { GatewayDeps } from '../gateway/deps.js';
import { handleCall } from '../gateway/handle-call.js';
import { sendModels } from './models-route.js';
import { checkClientToken } from './client-auth.js';
import { NodeResponder } from './node-responder.js';
import { createPassthrough } from './passthrough-proxy.js';
import { readJsonBody } from './read-json-body.js';
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
}

/**
 * The app-facing port. The hot path (chat completions, embeddings, models) is dispatched on plain
 * node:http with no framework cost; everything else under /v1 goes to an express app that does
 * the verbatim passthrough (http-proxy), and the rest is an OpenAI-style 404.
 */
export function createApiServer(opts: { deps: GatewayDeps; config: () => Config }): ApiServer {
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

  const translated = async (
    req: IncomingMessage,
    res: ServerResponse,
    operation: 'chat' | 'embeddings',
    path: string,
    receivedAt: number,
    denied: GatewayError | undefined,
  ) => {
    const config = opts.config();
    try {
      const responder = new NodeResponder(res);
      const call = { operation, method: 'POST', path, headers: req.headers, receivedAt, responder };
      let error: GatewayError | undefined;
      try {
        if (denied) {
          req.resume();
          throw denied;
        }
        const { raw, json } = await readJsonBody(req, config.server.maxBodyBytes);
        error = await handleCall(deps, config, { ...call, body: json, rawBody: raw });
      } catch (e) {
        if (!(e instanceof GatewayError)) throw e;
        if (e.kind === 'body_too_large') res.setHeader('connection', 'close');
        // Rejected before routing: still one span and one ledger row, nothing sent upstream.
        error = await handleCall(deps, config, { ...call, body: {}, rawBody: Buffer.alloc(0), rejected: e });
      }
      if (error && !res.headersSent) sendError(res, error);
    } catch (e) {
      const error = toGatewayError(e);
      if (error.kind === 'body_too_large') res.setHeader('connection', 'close');
      sendError(res, error);
      if (!(e instanceof GatewayError)) deps.log.error('unexpected server failure', { error: (e as Error)?.stack ?? String(e) });
    }
  };

  const server = createServer({ keepAliveTimeout: 65_000 }, onRequest);
  return {
    server,
    inflight: () => inflight,
    drain() {
      draining = true;
    },
  };
}
