/**
 * The Helm chart in deploy/helm/switchyard.
 *
 * No `helm` binary can be installed here (not in Debian, not on npm), so the templates are rendered
 * by the small renderer below. It implements ONLY the subset of Go templates the chart uses —
 * `{{ .Values.x }}`, `.Release.*`, `.Chart.*`, `if/else/end`, `define`, `include`, and the functions
 * `toYaml`, `nindent`, `indent`, `quote` — with Go's whitespace trimming (`{{-`, `-}}`), and it
 * THROWS on anything else (with, range, variables, other functions, missing values), so a template
 * it cannot render faithfully fails the test instead of rendering wrong. What this does not prove:
 * that real Helm accepts the chart (Sprig functions, go-yaml quoting, `helm lint`). Run
 * `helm template deploy/helm/switchyard --set example.enabled=true --set gateway.enabled=true`
 * where Helm exists.
 *
 * values.schema.json is checked with Ajv (draft-07, the dialect Helm 3 validates).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Container, PodSpec, Service } from 'kubernetes-types/core/v1.js';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { parseListenAddress } from '../../src/config/listen-address.js';
import { loadConfigText } from '../../src/config/load.js';
import { APP_BASE_URL, buildSidecarContainer, buildSidecarVolumes, HEALTH_PORT } from '../../src/webhook/sidecar-spec.js';

const chart = fileURLToPath(new URL('../../deploy/helm/switchyard/', import.meta.url));

// ---------- the renderer (a strict subset of text/template) ----------

type Node = { t: 'text'; v: string } | { t: 'expr'; v: string } | { t: 'if'; cond: string; yes: Node[]; no: Node[] };

interface Token {
  kind: 'text' | 'action' | 'comment';
  v: string;
  trimL: boolean;
  trimR: boolean;
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      out.push({ kind: 'text', v: src.slice(i), trimL: false, trimR: false });
      break;
    }
    out.push({ kind: 'text', v: src.slice(i, open), trimL: false, trimR: false });
    const trimL = src.startsWith('{{- ', open);
    const inner = open + (trimL ? 4 : 2);
    if (src.startsWith('/*', inner)) {
      const end = src.indexOf('*/', inner);
      assert.ok(end > 0, 'unterminated comment');
      const trimR = src.startsWith(' -}}', end + 2);
      assert.ok(trimR || src.startsWith('}}', end + 2), 'comment must end with */}}');
      out.push({ kind: 'comment', v: '', trimL, trimR });
      i = end + 2 + (trimR ? 4 : 2);
      continue;
    }
    const close = src.indexOf('}}', inner);
    assert.ok(close > 0, 'unterminated action');
    const trimR = src.slice(close - 2, close) === ' -';
    out.push({ kind: 'action', v: src.slice(inner, trimR ? close - 2 : close).trim(), trimL, trimR });
    i = close + 2;
  }
  // Go's trim markers: `{{-` eats whitespace before, `-}}` eats whitespace after.
  out.forEach((tok, k) => {
    const prev = out[k - 1];
    const next = out[k + 1];
    if (tok.trimL && prev?.kind === 'text') prev.v = prev.v.replace(/\s+$/, '');
    if (tok.trimR && next?.kind === 'text') next.v = next.v.replace(/^\s+/, '');
  });
  return out;
}

function parseTemplate(src: string, defines: Map<string, Node[]>): Node[] {
  const stack: { nodes: Node[]; node?: Extract<Node, { t: 'if' }>; inElse?: boolean; define?: string }[] = [{ nodes: [] }];
  const top = () => stack[stack.length - 1] as (typeof stack)[number];
  const push = (n: Node) => {
    const f = top();
    if (f.node) (f.inElse ? f.node.no : f.node.yes).push(n);
    else f.nodes.push(n);
  };
  for (const tok of tokenize(src)) {
    if (tok.kind === 'comment') continue;
    if (tok.kind === 'text') {
      if (tok.v) push({ t: 'text', v: tok.v });
      continue;
    }
    const [word] = tok.v.split(/\s+/);
    if (word === 'if') {
      const node: Extract<Node, { t: 'if' }> = { t: 'if', cond: tok.v.slice(3).trim(), yes: [], no: [] };
      push(node);
      stack.push({ nodes: [], node });
    } else if (tok.v === 'else') {
      const f = top();
      assert.ok(f.node && !f.inElse, 'else outside if');
      f.inElse = true;
    } else if (word === 'define') {
      const name = /^define\s+"([^"]+)"$/.exec(tok.v)?.[1];
      assert.ok(name, `bad define: ${tok.v}`);
      stack.push({ nodes: [], define: name });
    } else if (tok.v === 'end') {
      const f = stack.pop();
      assert.ok(f && stack.length > 0, 'unbalanced end');
      if (f.define) defines.set(f.define, f.nodes);
    } else if (['with', 'range', 'template', 'block', 'else'].includes(word ?? '') || tok.v.includes('$') || tok.v.includes('(')) {
      throw new Error(`the test renderer does not support {{ ${tok.v} }}`);
    } else {
      push({ t: 'expr', v: tok.v });
    }
  }
  assert.equal(stack.length, 1, 'unclosed block');
  return top().nodes;
}

type Ctx = Record<string, unknown>;

function lookup(path: string, dot: unknown, strict: boolean): unknown {
  if (path === '.') return dot;
  let v: unknown = dot;
  for (const key of path.slice(1).split('.')) {
    if (v === null || typeof v !== 'object' || !(key in (v as object))) {
      if (strict) throw new Error(`no value at ${path}`);
      return undefined;
    }
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function indentText(n: number, s: string): string {
  const pad = ' '.repeat(n);
  return pad + s.replaceAll('\n', `\n${pad}`);
}

function evalPipeline(src: string, dot: unknown, defines: Map<string, Node[]>, strict = true): unknown {
  const commands = src.split(/\|(?=(?:[^"]*"[^"]*")*[^"]*$)/).map((c) => c.trim());
  let value: unknown;
  commands.forEach((cmd, k) => {
    const words = cmd.match(/"[^"]*"|\S+/g) ?? [];
    const arg = (w: string): unknown =>
      w.startsWith('"')
        ? w.slice(1, -1)
        : /^\d+$/.test(w)
          ? Number(w)
          : w.startsWith('.')
            ? lookup(w, dot, strict)
            : (() => {
                throw new Error(`bad argument ${w}`);
              })();
    const [fn, ...rest] = words;
    if (fn === undefined) throw new Error('empty command');
    if (k === 0 && (fn.startsWith('.') || fn.startsWith('"'))) {
      assert.equal(rest.length, 0, `unexpected arguments in ${cmd}`);
      value = arg(fn);
      return;
    }
    const args = rest.map(arg);
    if (k > 0) args.push(value);
    switch (fn) {
      case 'include': {
        const body = defines.get(String(args[0]));
        if (!body) throw new Error(`no template ${String(args[0])}`);
        value = renderNodes(body, args[1], defines);
        break;
      }
      case 'toYaml':
        value = stringify(args[0], { sortMapEntries: true, lineWidth: 0 }).replace(/\n$/, '');
        break;
      case 'nindent':
        value = `\n${indentText(Number(args[0]), String(args[1]))}`;
        break;
      case 'indent':
        value = indentText(Number(args[0]), String(args[1]));
        break;
      case 'quote':
        value = JSON.stringify(String(args[0]));
        break;
      default:
        throw new Error(`the test renderer does not support the function ${fn}`);
    }
  });
  return value;
}

function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

function renderNodes(nodes: Node[], dot: unknown, defines: Map<string, Node[]>): string {
  let out = '';
  for (const n of nodes) {
    if (n.t === 'text') out += n.v;
    else if (n.t === 'if') out += renderNodes(truthy(evalPipeline(n.cond, dot, defines, false)) ? n.yes : n.no, dot, defines);
    else {
      const v = evalPipeline(n.v, dot, defines);
      if (v !== null && typeof v === 'object') throw new Error(`{{ ${n.v} }} prints an object; use toYaml`);
      out += String(v);
    }
  }
  return out;
}

function deepMerge(a: unknown, b: unknown): unknown {
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const out: Record<string, unknown> = { ...(a as Ctx) };
    for (const [k, v] of Object.entries(b as Ctx)) out[k] = deepMerge(out[k], v);
    return out;
  }
  return b === undefined ? a : b;
}

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  [k: string]: unknown;
}

function helmTemplate(overrides: unknown = {}): K8sObject[] {
  const meta = parse(readFileSync(join(chart, 'Chart.yaml'), 'utf8')) as { name: string; version: string; appVersion: string };
  const values = deepMerge(parse(readFileSync(join(chart, 'values.yaml'), 'utf8')), overrides);
  const ctx = {
    Values: values,
    Release: { Name: 'demo', Namespace: 'shop', Service: 'Helm' },
    Chart: { Name: meta.name, Version: meta.version, AppVersion: meta.appVersion },
  };
  const files = readdirSync(join(chart, 'templates')).sort();
  const defines = new Map<string, Node[]>();
  for (const f of files.filter((x) => x.startsWith('_'))) parseTemplate(readFileSync(join(chart, 'templates', f), 'utf8'), defines);
  const objs: K8sObject[] = [];
  for (const f of files.filter((x) => !x.startsWith('_') && x.endsWith('.yaml'))) {
    const text = renderNodes(parseTemplate(readFileSync(join(chart, 'templates', f), 'utf8'), defines), ctx, defines);
    for (const doc of parseAllDocuments(text)) {
      assert.equal(doc.errors.length, 0, `${f}: ${doc.errors.join('; ')}\n${text}`);
      const o = doc.toJS() as K8sObject | null;
      if (o) objs.push(o);
    }
  }
  return objs;
}

// ---------- validation helpers ----------

const MODELS: Record<string, string> = {
  'v1/ConfigMap': 'kubernetes-models/v1/ConfigMap',
  'v1/Secret': 'kubernetes-models/v1/Secret',
  'v1/Service': 'kubernetes-models/v1/Service',
  'apps/v1/Deployment': 'kubernetes-models/apps/v1/Deployment',
  'networking.k8s.io/v1/NetworkPolicy': 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
};

async function validateAll(objs: K8sObject[]): Promise<void> {
  for (const o of objs) {
    const path = MODELS[`${o.apiVersion}/${o.kind}`];
    assert.ok(path, `no kubernetes-models mapping for ${o.apiVersion}/${o.kind}`);
    const Model = ((await import(path)) as Record<string, new (x: unknown) => { validate(): void }>)[o.kind];
    assert.ok(Model);
    new Model(o).validate();
  }
}

function find<T>(objs: K8sObject[], kind: string, name: string): T {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind}/${name} not rendered`);
  return o as unknown as T;
}

// ---------- tests ----------

describe('helm chart: values.schema.json', () => {
  const schema = JSON.parse(readFileSync(join(chart, 'values.schema.json'), 'utf8')) as object;
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  const check = ajv.compile(schema);
  const values = parse(readFileSync(join(chart, 'values.yaml'), 'utf8')) as unknown;

  it('accepts the chart values.yaml', () => {
    assert.ok(check(values), JSON.stringify(check.errors));
  });

  it('rejects a numeric tag, an unknown pull policy, a typo at the top level, and a moved health port', () => {
    const bad = (o: unknown) => !check(deepMerge(values, o));
    assert.ok(bad({ image: { tag: 1.0 } }));
    assert.ok(bad({ image: { pullPolicy: 'Sometimes' } }));
    assert.ok(bad({ gatway: { enabled: true } }));
    assert.ok(bad({ config: { server: { health_listen: '0.0.0.0:9000' } } }));
    assert.ok(bad({ gateway: { replicas: 0 } }));
  });
});

describe('helm chart: rendered (test renderer, see header)', () => {
  it('renders only the shared ConfigMap with default values', async () => {
    const objs = helmTemplate();
    assert.deepEqual(
      objs.map((o) => `${o.kind}/${o.metadata.name}`),
      ['ConfigMap/switchyard-config'],
    );
    await validateAll(objs);
  });

  const objs = helmTemplate({
    example: { enabled: true },
    gateway: { enabled: true },
    providerKeys: { create: true, keys: { openai: 'sk-test', deepseek: 'sk-test' } },
  });

  it('renders the example, the gateway, its Service and NetworkPolicy, the ConfigMap and Secret; all validate', async () => {
    assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
      'ConfigMap/switchyard-config',
      'Deployment/support-bot',
      'Deployment/switchyard-gateway',
      'NetworkPolicy/switchyard-gateway-ingress',
      'Secret/switchyard-provider-keys',
      'Service/switchyard-gateway',
    ]);
    await validateAll(objs);
  });

  it('the named sidecar template renders exactly the webhook / Kustomize sidecar', () => {
    const spec = find<Deployment>(objs, 'Deployment', 'support-bot').spec?.template.spec as PodSpec;
    const opts = { configMap: 'switchyard-config', secret: 'switchyard-provider-keys' };
    assert.deepEqual(
      spec.initContainers?.[0],
      buildSidecarContainer({
        ...opts,
        image: 'ghcr.io/switchyard/switchyard:0.1.0',
        workload: { kind: 'deployment', fromLabel: 'app.kubernetes.io/name' },
      }),
    );
    assert.deepEqual(spec.volumes, buildSidecarVolumes(opts));
    assert.deepEqual(spec.containers[0]?.env, [{ name: 'OPENAI_BASE_URL', value: APP_BASE_URL }]);
    assert.equal(spec.containers[0]?.volumeMounts, undefined, 'the app mounts no Secret');
  });

  it('the ConfigMap carries values.config, which the sidecar loader accepts', () => {
    const cm = find<{ data: Record<string, string> }>(objs, 'ConfigMap', 'switchyard-config');
    const text = cm.data['switchyard.yaml'] ?? '';
    assert.deepEqual(parse(text), (parse(readFileSync(join(chart, 'values.yaml'), 'utf8')) as { config: unknown }).config);
    loadConfigText(text.replace(/api_key_file: \/var\/run\/secrets\/switchyard\/[\w-]+/g, 'api_key: test-key'), {
      source: 'chart',
      env: {},
    });
  });

  it('gateway mode listens on 0.0.0.0 at the port of the shared config, probes the health port', () => {
    const dep = find<Deployment>(objs, 'Deployment', 'switchyard-gateway');
    const c = dep.spec?.template.spec?.containers[0] as Container;
    const args = c.args ?? [];
    assert.equal(args[args.indexOf('--host') + 1], '0.0.0.0');
    const cm = find<{ data: Record<string, string> }>(objs, 'ConfigMap', 'switchyard-config');
    const listen = parseListenAddress((parse(cm.data['switchyard.yaml'] ?? '') as { server: { listen: string } }).server.listen);
    assert.equal(c.ports?.find((p) => p.name === 'http')?.containerPort, listen?.port);
    for (const p of [c.startupProbe, c.readinessProbe, c.livenessProbe]) assert.equal(p?.httpGet?.port, HEALTH_PORT);
    const svc = find<Service>(objs, 'Service', 'switchyard-gateway');
    assert.deepEqual(svc.spec?.selector, dep.spec?.selector.matchLabels);
    const np = find<{ spec: { ingress: { from: unknown[] }[] } }>(objs, 'NetworkPolicy', 'switchyard-gateway-ingress');
    assert.deepEqual(np.spec.ingress[0]?.from, [{ namespaceSelector: { matchLabels: { 'switchyard.dev/gateway-access': 'true' } } }]);
  });

  it('the renderer refuses what it does not implement, and missing values (it can fail)', () => {
    const defines = new Map<string, Node[]>();
    assert.throws(() => parseTemplate('{{ range .Values.x }}a{{ end }}', defines), /does not support/);
    assert.throws(() => renderNodes(parseTemplate('{{ .Values.x | upper }}', defines), { Values: { x: 'a' } }, defines), /function upper/);
    assert.throws(() => renderNodes(parseTemplate('{{ .Values.nope }}', defines), { Values: {} }, defines), /no value/);
    assert.equal(
      renderNodes(parseTemplate('a:\n  {{- "b" | nindent 2 }}\n{{- if .Values.off }}x{{ end }}', defines), { Values: {} }, defines),
      'a:\n  b',
    );
  });
});
