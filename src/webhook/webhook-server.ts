import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from '../core/log.js';
import { admit } from './admit.js';
import type { InjectOptions } from './build-patch.js';

export interface WebhookServerOptions {
  host: string;
  port: number;
  certFile: string;
  keyFile: string;
  inject: InjectOptions;
  logger: Logger;
  /** The API server sends at most ~3 MiB; anything past this is not an AdmissionReview. */
  maxBodyBytes?: number;
}

export interface WebhookServer {
  server: Server;
  port: number;
  /** Re-reads cert and key now (also done on every change in their directories). */
  reloadCertificate(): boolean;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error(`body over ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * HTTPS server for the mutating webhook: POST /mutate, GET /healthz. Cert and key are files (a
 * cert-manager Secret mounted as a directory) and are reloaded when they change, without a restart.
 */
export async function startWebhookServer(o: WebhookServerOptions): Promise<WebhookServer> {
  const { logger } = o;
  const limit = o.maxBodyBytes ?? 8 * 1024 * 1024;
  const read = () => ({ cert: readFileSync(o.certFile), key: readFileSync(o.keyFile) });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && (path === '/healthz' || path === '/readyz')) return sendJson(res, 200, { ok: true });
    if (req.method !== 'POST' || path !== '/mutate') return sendJson(res, 404, { error: 'not found' });
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req, limit)).toString('utf8'));
    } catch (error) {
      // Fail open even here: the API server sees an allow (or a uid mismatch, which failurePolicy: Ignore allows).
      logger.error('webhook: unreadable AdmissionReview, allowing', { error: String(error) });
      if (!res.headersSent && !res.destroyed) {
        sendJson(res, 200, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: '', allowed: true } });
      }
      return;
    }
    const result = admit(body, o.inject);
    const request = (body as { request?: { uid?: unknown; namespace?: unknown; name?: unknown } }).request;
    const fields = { uid: request?.uid, namespace: request?.namespace, name: request?.name };
    if (result.skipped === 'error') logger.error('webhook: patch failed, allowing unchanged', { ...fields, error: String(result.error) });
    else if (result.skipped) logger.debug('webhook: no patch', { ...fields, reason: result.skipped });
    else logger.info('webhook: injected sidecar', fields);
    sendJson(res, 200, result.review);
  };

  const server = createServer(read(), (req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error('webhook: handler failed, allowing', { error: String(error) });
      if (!res.headersSent)
        sendJson(res, 200, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: '', allowed: true } });
    });
  });

  const reloadCertificate = (): boolean => {
    try {
      server.setSecureContext(read());
      logger.info('webhook: certificate reloaded');
      return true;
    } catch (error) {
      // Mid-swap (cert written, key not yet): keep the old context; the next event retries.
      logger.warn('webhook: certificate reload failed, keeping the old one', { error: String(error) });
      return false;
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const watchers: FSWatcher[] = [...new Set([dirname(o.certFile), dirname(o.keyFile)])].map((dir) =>
    watch(dir, () => {
      clearTimeout(timer);
      timer = setTimeout(reloadCertificate, 100);
    }),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  logger.info('webhook: listening', { host: o.host, port });
  return {
    server,
    port,
    reloadCertificate,
    close: () =>
      new Promise<void>((resolve) => {
        clearTimeout(timer);
        for (const w of watchers) w.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
