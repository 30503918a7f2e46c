import type { IncomingMessage, ServerResponse } from 'node:http';
import httpProxy from 'http-proxy';
import { GatewayError } from '../core/errors.js';
import type { Config } from '../config/types.js';
import type { GatewayDeps } from '../gateway/deps.js';
import { planPassthrough } from '../gateway/passthrough.js';
import { sendError } from './render-error.js';

/** Verbatim passthrough of `/v1/*` endpoints we do not translate, via http-proxy. */
export function createPassthrough(deps: GatewayDeps) {
  const proxy = httpProxy.createProxyServer({ changeOrigin: true, xfwd: false, ignorePath: true });
  proxy.on('proxyReq', (proxyReq, req) => {
    const plan = (req as IncomingMessage & { switchyardPlan?: ReturnType<typeof planPassthrough> }).switchyardPlan;
    if (!plan) return;
    for (const h of plan.removeHeaders) proxyReq.removeHeader(h);
    for (const [k, v] of Object.entries(plan.setHeaders)) proxyReq.setHeader(k, v);
  });

  return function passthrough(req: IncomingMessage, res: ServerResponse, config: Config, receivedAt: number): void {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    let plan: ReturnType<typeof planPassthrough>;
    try {
      plan = planPassthrough(deps, config, {
        method: req.method ?? 'GET',
        path,
        search: q < 0 ? '' : raw.slice(q),
        headers: req.headers,
        receivedAt,
      });
    } catch (e) {
      sendError(res, e as GatewayError);
      return;
    }
    (req as IncomingMessage & { switchyardPlan?: typeof plan }).switchyardPlan = plan;
    res.once('close', () => {
      if (!res.writableFinished)
        plan.finish({ error: new GatewayError({ kind: 'client_aborted', message: 'The client closed the connection.' }) });
      else plan.finish({ status: res.statusCode });
    });
    proxy.web(req, res, { target: plan.baseUrl + plan.upstreamPath, proxyTimeout: plan.timeoutMs, timeout: plan.timeoutMs }, (err) => {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      const error = new GatewayError({ kind: 'upstream_connection', message: `Connection to the provider failed (${code}).` });
      plan.finish({ error });
      sendError(res, error);
    });
  };
}
