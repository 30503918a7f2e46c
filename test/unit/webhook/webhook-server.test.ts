import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import type { Logger } from '../../../src/core/log.js';
import type { AdmissionReview } from '../../../src/webhook/admission-types.js';
import { startWebhookServer, type WebhookServer } from '../../../src/webhook/webhook-server.js';

/** A self-signed cert for 127.0.0.1, made by the real openssl. Returns its PEM paths. */
function selfSigned(dir: string, cn: string): { cert: string; key: string } {
  const cert = join(dir, `${cn}.crt`);
  const key = join(dir, `${cn}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

interface Reply {
  status: number;
  body: string;
  fingerprint: string;
}

function post(port: number, ca: string, path: string, body: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', ca, headers: { 'content-type': 'application/json' }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            fingerprint: (res.socket as TLSSocket).getPeerCertificate().fingerprint256,
          }),
        );
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

describe('webhook HTTPS server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-webhook-'));
  const live = join(dir, 'live');
  const logs: { level: string; msg: string }[] = [];
  const logger: Logger = {
    debug: (msg) => logs.push({ level: 'debug', msg }),
    info: (msg) => logs.push({ level: 'info', msg }),
    warn: (msg) => logs.push({ level: 'warn', msg }),
    error: (msg) => logs.push({ level: 'error', msg }),
  };
  let first: { cert: string; key: string };
  let server: WebhookServer;
  const fixture = readFileSync(new URL('../../fixtures/admission/pod-create-labelled.json', import.meta.url), 'utf8');

  before(async () => {
    execFileSync('mkdir', ['-p', live]);
    first = selfSigned(dir, 'first');
    writeFileSync(join(live, 'tls.crt'), readFileSync(first.cert));
    writeFileSync(join(live, 'tls.key'), readFileSync(first.key));
    server = await startWebhookServer({
      host: '127.0.0.1',
      port: 0,
      certFile: join(live, 'tls.crt'),
      keyFile: join(live, 'tls.key'),
      inject: { image: 'ghcr.io/switchyard/switchyard:0.1.0', configMap: 'switchyard-config', secret: 'switchyard-provider-keys' },
      logger,
    });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers POST /mutate over TLS with a JSON Patch for a labelled pod', async () => {
    const reply = await post(server.port, readFileSync(first.cert, 'utf8'), '/mutate', fixture);
    assert.equal(reply.status, 200);
    const review = JSON.parse(reply.body) as AdmissionReview;
    assert.equal(review.response?.uid, 'b7f1c2d3-0a4e-4f5b-8c6d-1e2f3a4b5c6d');
    assert.equal(review.response?.allowed, true);
    assert.equal(review.response?.patchType, 'JSONPatch');
    const ops = JSON.parse(Buffer.from(review.response?.patch ?? '', 'base64').toString('utf8')) as { path: string }[];
    assert.equal(ops[0]?.path, '/spec/initContainers');
    assert.ok(logs.some((l) => l.msg === 'webhook: injected sidecar'));
  });

  it('fails open on a body that is not JSON: 200, allowed, no patch, logged as an error', async () => {
    const reply = await post(server.port, readFileSync(first.cert, 'utf8'), '/mutate', '{"apiVersion": truncated');
    assert.equal(reply.status, 200);
    assert.deepEqual(JSON.parse(reply.body), {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: '', allowed: true },
    });
    assert.ok(logs.some((l) => l.level === 'error' && l.msg.startsWith('webhook: unreadable')));
  });

  it('serves a renewed certificate without a restart (cert-manager rotates the Secret files)', async () => {
    const second = selfSigned(dir, 'second');
    const before = await post(server.port, readFileSync(first.cert, 'utf8'), '/mutate', fixture);
    // Atomic replace of both files, as a kubelet symlink swap would look to a reader.
    writeFileSync(join(dir, 'new.key'), readFileSync(second.key));
    writeFileSync(join(dir, 'new.crt'), readFileSync(second.cert));
    renameSync(join(dir, 'new.key'), join(live, 'tls.key'));
    renameSync(join(dir, 'new.crt'), join(live, 'tls.crt'));
    const ca = readFileSync(second.cert, 'utf8');
    let after: Reply | undefined;
    for (let i = 0; i < 50 && !after; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await post(server.port, ca, '/mutate', fixture).catch(() => undefined);
    }
    assert.ok(after, 'the renewed certificate was never served');
    assert.notEqual(after.fingerprint, before.fingerprint);
    assert.equal(after.status, 200);
  });
});
