import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Container, PodSpec, Service } from 'kubernetes-types/core/v1.js';
import type { MutatingWebhookConfiguration } from 'kubernetes-types/admissionregistration/v1.js';
import { parseAllDocuments } from 'yaml';
import { loadConfigText } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { parseListenAddress } from '../../src/config/listen-address.js';
import {
  APP_BASE_URL,
  API_PORT,
  buildSidecarContainer,
  buildSidecarVolumes,
  CONFIG_DIR,
  HEALTH_PORT,
} from '../../src/webhook/sidecar-spec.js';

const root = fileURLToPath(new URL('../../deploy/kubernetes/', import.meta.url));

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  [k: string]: unknown;
}

function kustomizations(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...kustomizations(p));
    else if (entry === 'kustomization.yaml') out.push(dir);
  }
  return out.sort();
}

function render(dir: string): K8sObject[] {
  const text = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseAllDocuments(text).map((d) => {
    assert.equal(d.errors.length, 0, `${dir}: ${d.errors.join('; ')}`);
    return d.toJS() as K8sObject;
  });
}

function isComponent(dir: string): boolean {
  return /^kind:\s*Component\s*$/m.test(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'));
}

/** kubernetes-models module per apiVersion/kind we ship. An unmapped kind fails the test. */
const MODELS: Record<string, string> = {
  'v1/Namespace': 'kubernetes-models/v1/Namespace',
  'v1/ConfigMap': 'kubernetes-models/v1/ConfigMap',
  'v1/Secret': 'kubernetes-models/v1/Secret',
  'v1/Service': 'kubernetes-models/v1/Service',
  'v1/ServiceAccount': 'kubernetes-models/v1/ServiceAccount',
  'apps/v1/Deployment': 'kubernetes-models/apps/v1/Deployment',
  'policy/v1/PodDisruptionBudget': 'kubernetes-models/policy/v1/PodDisruptionBudget',
  'networking.k8s.io/v1/NetworkPolicy': 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
  'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration':
    'kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration',
};
/** CRDs that kubernetes-models does not ship; checked by the semantic assertions below instead. */
const CRDS = new Set(['cert-manager.io/v1/Issuer', 'cert-manager.io/v1/Certificate']);

async function validate(obj: K8sObject): Promise<void> {
  const key = `${obj.apiVersion}/${obj.kind}`;
  if (CRDS.has(key)) return;
  const path = MODELS[key];
  assert.ok(path, `no kubernetes-models mapping for ${key}`);
  const mod = (await import(path)) as Record<string, new (o: unknown) => { validate(): void }>;
  const Model = mod[obj.kind];
  assert.ok(Model, `${path} exports no ${obj.kind}`);
  new Model(obj).validate();
}

function find<T>(objs: K8sObject[], kind: string, name: string): T {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind}/${name} not rendered`);
  return o as unknown as T;
}

function envRefsDefinedEarlier(c: Container): void {
  const seen = new Set<string>();
  for (const e of c.env ?? []) {
    for (const m of (e.value ?? '').matchAll(/\$\(([A-Z_][A-Z0-9_]*)\)/g)) {
      assert.ok(seen.has(m[1] as string), `${c.name}: ${e.name} uses $(${m[1]}) before it is defined`);
    }
    seen.add(e.name);
  }
}

function noSubPath(spec: PodSpec): void {
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    for (const m of c.volumeMounts ?? []) assert.equal(m.subPath, undefined, `${c.name} mounts ${m.name} with subPath`);
  }
}

function configFrom(objs: K8sObject[], name: string) {
  const cm = find<{ data: Record<string, string> }>(objs, 'ConfigMap', name);
  const text = cm.data['switchyard.yaml'];
  assert.ok(text, `${name} has no switchyard.yaml`);
  // The sidecar's own loader too; key files exist only in the pod, so stand in literal keys.
  const keyFiles = /api_key_file: \/var\/run\/secrets\/switchyard\/[\w-]+/g;
  assert.ok(keyFiles.test(text), 'keys come from the mounted Secret');
  loadConfigText(text.replace(keyFiles, 'api_key: test-key'), { source: name, env: {} });
  const parsed = configSchema.safeParse(parseAllDocuments(text)[0]?.toJS());
  assert.ok(parsed.success, `${name}: ${parsed.success ? '' : parsed.error.message}`);
  return parsed.data;
}

describe('kubectl kustomize renders every kustomization, and every object validates', () => {
  const dirs = kustomizations(root);
  it('kubectl is new enough for Kustomize components and native sidecars (>= 1.27)', () => {
    const out = execFileSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
    const minor = Number.parseInt((JSON.parse(out) as { clientVersion: { minor: string } }).clientVersion.minor, 10);
    assert.ok(minor >= 27, `kubectl 1.${minor} is too old (Debian's kubernetes-client 1.20 cannot render Components)`);
  });
  it('finds the component and the four trees', () => {
    assert.deepEqual(
      dirs.map((d) => relative(root, d)),
      ['components/switchyard-sidecar', 'config', 'examples/app', 'gateway', 'network-policies', 'webhook'],
    );
  });
  for (const dir of dirs.filter((d) => !isComponent(d))) {
    it(relative(root, dir), async () => {
      const objs = render(dir);
      assert.ok(objs.length > 0);
      for (const o of objs) await validate(o);
    });
  }
});

describe('the sidecar component, through examples/app', () => {
  const objs = render(join(root, 'examples/app'));
  const dep = find<Deployment>(objs, 'Deployment', 'support-bot');
  const spec = dep.spec?.template.spec as PodSpec;
  const sidecar = spec.initContainers?.find((c) => c.name === 'switchyard');
  const app = spec.containers[0] as Container;

  it('is a native sidecar with startup, readiness and liveness probes on the health port', () => {
    assert.ok(sidecar);
    assert.equal(sidecar.restartPolicy, 'Always');
    assert.equal(sidecar.startupProbe?.httpGet?.port, HEALTH_PORT);
    assert.equal(sidecar.readinessProbe?.httpGet?.port, HEALTH_PORT);
    assert.equal(sidecar.livenessProbe?.httpGet?.port, HEALTH_PORT);
    assert.ok(sidecar.resources?.requests && sidecar.resources.limits);
    assert.equal(sidecar.securityContext?.runAsNonRoot, true);
    assert.equal(sidecar.securityContext?.readOnlyRootFilesystem, true);
  });

  it('is exactly the container the webhook injects (one definition, src/webhook/sidecar-spec.ts)', () => {
    const expected = buildSidecarContainer({
      image: 'ghcr.io/switchyard/switchyard:0.1.0',
      configMap: 'switchyard-config',
      secret: 'switchyard-provider-keys',
      workload: { kind: 'deployment', fromLabel: 'app.kubernetes.io/name' },
    });
    assert.deepEqual(sidecar, expected);
    const ours = new Set(buildSidecarVolumes({ configMap: 'switchyard-config', secret: 'switchyard-provider-keys' }).map((v) => v.name));
    assert.deepEqual(
      spec.volumes?.filter((v) => ours.has(v.name)),
      buildSidecarVolumes({ configMap: 'switchyard-config', secret: 'switchyard-provider-keys' }),
    );
  });

  it('mounts the provider key Secret into the sidecar only', () => {
    const secretVolumes = (spec.volumes ?? []).filter((v) => v.secret).map((v) => v.name);
    assert.deepEqual(secretVolumes, ['switchyard-provider-keys']);
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      const mounts = (c.volumeMounts ?? []).some((m) => m.name === 'switchyard-provider-keys');
      assert.equal(mounts, c.name === 'switchyard', `${c.name} secret mount`);
      assert.ok(!(c.envFrom ?? []).some((e) => e.secretRef), `${c.name} envFrom a Secret`);
    }
    find(objs, 'Secret', 'switchyard-provider-keys');
  });

  it('mounts the shared ConfigMap as a directory (no subPath), and it parses as a Switchyard config', () => {
    noSubPath(spec);
    const mount = sidecar?.volumeMounts?.find((m) => m.mountPath === CONFIG_DIR);
    const volume = spec.volumes?.find((v) => v.name === mount?.name);
    assert.equal(volume?.configMap?.name, 'switchyard-config');
    const config = configFrom(objs, 'switchyard-config');
    for (const key of ['server', 'providers', 'features', 'default_feature', 'telemetry', 'simulator'] as const) {
      assert.ok(config[key] !== undefined, `config has ${key}`);
    }
    assert.equal(parseListenAddress(config.server.listen)?.port, API_PORT);
    assert.equal(parseListenAddress(config.server.listen)?.host, '127.0.0.1', 'the sidecar API stays on loopback');
    assert.equal(parseListenAddress(config.server.health_listen)?.port, HEALTH_PORT);
    assert.ok(config.default_feature && config.features[config.default_feature]);
  });

  it('gives the app OPENAI_BASE_URL on the sidecar listen port, and keeps the app env', () => {
    const config = configFrom(objs, 'switchyard-config');
    const base = app.env?.find((e) => e.name === 'OPENAI_BASE_URL')?.value;
    assert.equal(base, APP_BASE_URL);
    assert.equal(new URL(base as string).port, String(parseListenAddress(config.server.listen)?.port));
    assert.ok(app.env?.some((e) => e.name === 'OPENAI_API_KEY'));
  });

  it('passes pod name, namespace and workload into OTEL_RESOURCE_ATTRIBUTES via the downward API', () => {
    assert.ok(sidecar);
    envRefsDefinedEarlier(sidecar);
    const env = new Map((sidecar.env ?? []).map((e) => [e.name, e]));
    assert.equal(env.get('POD_NAME')?.valueFrom?.fieldRef?.fieldPath, 'metadata.name');
    assert.equal(env.get('POD_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath, 'metadata.namespace');
    const label = /^metadata\.labels\['(.+)'\]$/.exec(env.get('SWITCHYARD_WORKLOAD')?.valueFrom?.fieldRef?.fieldPath ?? '')?.[1];
    assert.equal(label && dep.spec?.template.metadata?.labels?.[label], 'support-bot', 'the workload label is set on the pod');
    const attrs = env.get('OTEL_RESOURCE_ATTRIBUTES')?.value ?? '';
    assert.match(attrs, /k8s\.pod\.name=\$\(POD_NAME\)/);
    assert.match(attrs, /k8s\.namespace\.name=\$\(POD_NAMESPACE\)/);
    assert.match(attrs, /k8s\.deployment\.name=\$\(SWITCHYARD_WORKLOAD\)/);
  });

  it('the egress NetworkPolicy selects the pods the component labels', () => {
    const np = find<{ spec: { podSelector: { matchLabels: Record<string, string> }; egress: unknown[] } }>(
      objs,
      'NetworkPolicy',
      'switchyard-sidecar-egress',
    );
    for (const [k, v] of Object.entries(np.spec.podSelector.matchLabels)) {
      assert.equal(dep.spec?.template.metadata?.labels?.[k], v);
    }
    assert.equal(np.spec.egress.length, 4);
  });
});

describe('gateway mode', () => {
  const objs = render(join(root, 'gateway'));
  const dep = find<Deployment>(objs, 'Deployment', 'switchyard-gateway');
  const spec = dep.spec?.template.spec as PodSpec;
  const c = spec.containers[0] as Container;
  const config = configFrom(objs, 'switchyard-gateway-config');

  it('listens on all interfaces, on the ports the container and Service expose', () => {
    const listen = parseListenAddress(config.server.listen);
    assert.equal(listen?.host, '0.0.0.0');
    const ports = new Map((c.ports ?? []).map((p) => [p.name, p.containerPort]));
    assert.equal(ports.get('http'), listen?.port);
    assert.equal(ports.get('sy-health'), parseListenAddress(config.server.health_listen)?.port);
    const svc = find<Service>(objs, 'Service', 'switchyard-gateway');
    for (const p of svc.spec?.ports ?? []) assert.ok(ports.has(String(p.targetPort)), `targetPort ${p.targetPort}`);
    assert.deepEqual(svc.spec?.selector, dep.spec?.selector.matchLabels);
  });

  it('probes the health port, mounts config as a directory and keys only into itself', () => {
    for (const p of [c.startupProbe, c.readinessProbe, c.livenessProbe]) assert.equal(p?.httpGet?.port, HEALTH_PORT);
    noSubPath(spec);
    envRefsDefinedEarlier(c);
    assert.equal(spec.volumes?.find((v) => v.name === 'switchyard-config')?.configMap?.name, 'switchyard-gateway-config');
  });

  it('admits callers only from labelled namespaces, on the API port', () => {
    const np = find<{
      spec: { ingress: { from: { namespaceSelector?: { matchLabels?: Record<string, string> } }[]; ports: { port: number }[] }[] };
    }>(objs, 'NetworkPolicy', 'switchyard-gateway-ingress');
    const api = np.spec.ingress.find((r) => r.ports.some((p) => p.port === API_PORT));
    assert.deepEqual(api?.from, [{ namespaceSelector: { matchLabels: { 'switchyard.dev/gateway-access': 'true' } } }]);
  });
});

describe('the injection webhook', () => {
  const objs = render(join(root, 'webhook'));
  const mwc = find<MutatingWebhookConfiguration>(objs, 'MutatingWebhookConfiguration', 'switchyard-sidecar-injector');
  const hook = mwc.webhooks?.[0];
  const dep = find<Deployment>(objs, 'Deployment', 'switchyard-webhook');
  const c = dep.spec?.template.spec?.containers[0] as Container;

  it('fails open, only for labelled pods at CREATE, never in system namespaces', () => {
    assert.equal(hook?.failurePolicy, 'Ignore');
    assert.equal(hook?.sideEffects, 'None');
    assert.deepEqual(hook?.admissionReviewVersions, ['v1']);
    assert.deepEqual(hook?.objectSelector, { matchLabels: { 'switchyard.dev/inject': 'true' } });
    assert.deepEqual(hook?.rules, [
      { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' },
    ]);
    const excluded = hook?.namespaceSelector?.matchExpressions?.find((e) => e.operator === 'NotIn')?.values ?? [];
    for (const ns of ['kube-system', dep.metadata?.namespace as string]) assert.ok(excluded.includes(ns), ns);
  });

  it('points at the Service, which points at the container port the server listens on', () => {
    const svc = find<Service>(objs, 'Service', hook?.clientConfig.service?.name as string);
    assert.equal(svc.metadata?.namespace, hook?.clientConfig.service?.namespace);
    assert.equal(hook?.clientConfig.service?.path, '/mutate');
    const sp = svc.spec?.ports?.find((p) => p.port === hook?.clientConfig.service?.port);
    const cp = c.ports?.find((p) => p.name === sp?.targetPort);
    assert.ok(c.args?.includes(`--port=${cp?.containerPort}`));
    assert.deepEqual(svc.spec?.selector, dep.spec?.selector.matchLabels);
  });

  it('gets its CA from cert-manager, for a certificate whose Secret the server reads', () => {
    const [ns, name] = (mwc.metadata?.annotations?.['cert-manager.io/inject-ca-from'] ?? '').split('/');
    const cert = find<K8sObject & { spec: { secretName: string; dnsNames: string[]; issuerRef: { kind: string; name: string } } }>(
      objs,
      'Certificate',
      name as string,
    );
    assert.equal(cert.metadata.namespace, ns);
    find(objs, cert.spec.issuerRef.kind, cert.spec.issuerRef.name);
    const svcName = hook?.clientConfig.service?.name;
    assert.ok(cert.spec.dnsNames.includes(`${svcName}.${hook?.clientConfig.service?.namespace}.svc`));
    const tls = dep.spec?.template.spec?.volumes?.find((v) => v.secret?.secretName === cert.spec.secretName);
    const mount = c.volumeMounts?.find((m) => m.name === tls?.name);
    assert.ok(mount && c.args?.includes(`--tls-cert=${mount.mountPath}/tls.crt`));
    assert.ok(c.args?.includes(`--tls-key=${mount.mountPath}/tls.key`));
    assert.equal(mount.subPath, undefined, 'renewed certs must appear in place');
  });
});
