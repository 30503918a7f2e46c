import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import express from 'express';
import type { SinkHealth } from '../core/call-record.js';
import { GatewayError } from '../core/errors.js';
import { sendError } from './render-error.js';

export interface HealthState {
  ready(): boolean;
  draining(): boolean;
  configHash(): string;
  inflight(): number;
  sinks(): SinkHealth[];
}

/**
 * The health port (default 0.0.0.0:4001): Kubernetes probes and Prometheus. `/readyz` stays green
 * when a sink (ClickHouse) is down, because the proxy still serves; it shows the sink state.
 */
export function createHealthServer(opts: { state: HealthState; metrics?: (req: IncomingMessage, res: ServerResponse) => void }): Server {
  const app = express();
  app.disable('x-powered-by');
  const snapshot = () => ({
    config_hash: opts.state.configHash(),
    inflight: opts.state.inflight(),
    draining: opts.state.draining(),
    sinks: opts.state.sinks(),
  });
  app.get('/livez', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', ...snapshot() });
  });
  app.get('/readyz', (_req, res) => {
    const ready = opts.state.ready() && !opts.state.draining();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : opts.state.draining() ? 'draining' : 'starting', ...snapshot() });
  });
  app.get('/metrics', (req, res) => {
    if (opts.metrics) opts.metrics(req, res);
    else res.status(404).type('text/plain').send('metrics disabled\n');
  });
  app.use((_req, res) => {
    sendError(res, new GatewayError({ kind: 'not_found', message: 'The health port serves /healthz, /readyz, /livez and /metrics.' }));
  });
  return createServer(app);
}
