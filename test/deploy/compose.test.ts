import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { parseListenAddress } from '../../src/config/listen-address.js';
import { loadConfigText } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const dir = join(repo, 'deploy/compose');
const read = (p: string) => readFileSync(join(dir, p), 'utf8');

interface Service {
  image?: string;
  build?: { context: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  secrets?: string[];
}
const compose = parse(read('docker-compose.yaml')) as {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
};
const svc = (name: string): Service => {
  const s = compose.services[name];
  assert.ok(s, `service ${name}`);
  return s;
};

describe('docker-compose.yaml', () => {
  it('validates against the compose spec, with no dclint error or warning', () => {
    const r = spawnSync(join(repo, 'node_modules/.bin/dclint'), ['deploy/compose/docker-compose.yaml', '-f', 'json', '--color', 'false'], {
      cwd: repo,
      encoding: 'utf8',
    });
    const reports = JSON.parse(r.stdout) as { messages: { rule: string; message: string }[] }[];
    assert.equal(reports.length, 1);
    assert.deepEqual(
      reports[0]?.messages.map((m) => `${m.rule}: ${m.message}`),
      [],
    );
    assert.equal(r.status, 0);
  });

  it('has the sidecar, ClickHouse, the Collector, Jaeger v2, Grafana and a load generator, images pinned', () => {
    for (const name of ['switchyard', 'clickhouse', 'otel-collector', 'jaeger', 'grafana', 'loadgen', 'prometheus']) svc(name);
    assert.match(svc('jaeger').image ?? '', /^jaegertracing\/jaeger:2\./);
    assert.match(svc('otel-collector').image ?? '', /^otel\/opentelemetry-collector-contrib:\d/);
    assert.match(svc('clickhouse').image ?? '', /^clickhouse\/clickhouse-server:\d/);
    for (const [name, s] of Object.entries(compose.services)) {
      assert.ok(s.build || /:[\w.-]+$/.test(s.image ?? ''), `${name} pins its image`);
    }
  });

  it('binds every host port to 127.0.0.1', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const p of s.ports ?? []) assert.match(p, /^127\.0\.0\.1:\d+:\d+$/, `${name}: ${p}`);
    }
  });

  it('mounts only paths that exist, and Grafana gets datasources, dashboards and alerting where it looks', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const v of s.volumes ?? []) {
        const [src] = v.split(':');
        if (src?.startsWith('.')) assert.ok(existsSync(resolve(dir, src)), `${name}: ${src} does not exist`);
      }
    }
    const mounts = new Map((svc('grafana').volumes ?? []).map((v) => [v.split(':')[1], v.split(':')[0]]));
    assert.equal(mounts.get('/etc/grafana/provisioning/datasources/switchyard.yaml'), './grafana/datasources.yaml');
    assert.equal(mounts.get('/etc/grafana/provisioning/alerting'), '../../dashboards/provisioning/alerting');
    assert.equal(mounts.get('/etc/grafana/provisioning/dashboards'), '../../dashboards/provisioning/dashboards');
    const provider = parse(readFileSync(join(repo, 'dashboards/provisioning/dashboards/switchyard.yaml'), 'utf8')) as {
      providers: { options: { path: string } }[];
    };
    const path = provider.providers[0]?.options.path as string;
    assert.equal(mounts.get(path), '../../dashboards/generated', 'the dashboards provider reads the generated JSON');
    assert.equal(svc('grafana').environment?.GF_PLUGINS_PREINSTALL_SYNC, 'grafana-clickhouse-datasource');
  });

  it('the sidecar config is valid, needs no key, and its addresses are the services of the stack', () => {
    const mount = (svc('switchyard').volumes ?? []).find((v) => v.split(':')[1] === '/etc/switchyard');
    assert.equal(mount, './switchyard:/etc/switchyard:ro', 'config directory mounted whole, for hot reload');
    assert.deepEqual(svc('switchyard').command, ['serve', '--config', '/etc/switchyard/switchyard.yaml']);
    // The sidecar's own loader: presets, cross-references, the clickhouse section.
    loadConfigText(read('switchyard/switchyard.yaml'), { source: 'switchyard.yaml', env: {} });
    const parsed = configSchema.safeParse(parse(read('switchyard/switchyard.yaml')));
    assert.ok(parsed.success, parsed.success ? '' : parsed.error.message);
    const config = parsed.data;
    for (const [name, p] of Object.entries(config.providers)) {
      assert.equal(p.preset, 'simulator', `${name} is the local simulator`);
      assert.equal(p.api_key ?? p.api_key_file, undefined);
    }
    const listen = parseListenAddress(config.server.listen);
    const loadgen = svc('loadgen').command ?? [];
    const base = new URL(loadgen.find((a) => a.startsWith('--base-url='))?.slice('--base-url='.length) ?? '');
    assert.equal(base.hostname, 'switchyard');
    assert.equal(Number(base.port), listen?.port);
    const features =
      loadgen
        .find((a) => a.startsWith('--features='))
        ?.slice('--features='.length)
        .split(',') ?? [];
    assert.ok(features.length >= 3);
    for (const f of features) assert.ok(config.features[f], `loadgen feature ${f} is routed`);

    assert.equal(new URL(config.telemetry.otlp?.endpoint ?? '').hostname, 'otel-collector');
    const ch = config.telemetry.clickhouse as { url: string; password_file: string; username: string; database: string };
    assert.equal(new URL(ch.url).hostname, 'clickhouse');
    const env = svc('clickhouse').environment ?? {};
    assert.equal(ch.username, env.CLICKHOUSE_USER);
    assert.equal(ch.database, env.CLICKHOUSE_DB);
    const secret = ch.password_file.replace('/run/secrets/', '');
    assert.ok(svc('switchyard').secrets?.includes(secret));
    assert.equal(read(compose.secrets[secret]?.file ?? '').trim(), env.CLICKHOUSE_PASSWORD);

    const prom = parse(read('prometheus.yaml')) as { scrape_configs: { static_configs: { targets: string[] }[] }[] };
    assert.deepEqual(prom.scrape_configs[0]?.static_configs[0]?.targets, [
      `switchyard:${parseListenAddress(config.server.health_listen)?.port}`,
    ]);
  });
});

/** An OpenTelemetry Collector config (the Collector's and Jaeger v2's): every reference resolves. */
interface CollectorConfig {
  receivers?: Record<string, unknown>;
  processors?: Record<string, unknown>;
  exporters?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
  connectors?: Record<string, unknown>;
  service: {
    extensions?: string[];
    pipelines: Record<string, { receivers?: string[]; processors?: string[]; exporters?: string[] }>;
  };
}

function checkCollector(config: CollectorConfig): void {
  const defined = (section: keyof Omit<CollectorConfig, 'service'>) => new Set(Object.keys(config[section] ?? {}));
  const receivers = defined('receivers');
  const processors = defined('processors');
  const exporters = defined('exporters');
  const connectors = defined('connectors');
  const used = { receivers: new Set<string>(), processors: new Set<string>(), exporters: new Set<string>() };
  for (const ext of config.service.extensions ?? []) assert.ok(defined('extensions').has(ext), `extension ${ext} undefined`);
  for (const ext of defined('extensions')) assert.ok(config.service.extensions?.includes(ext), `extension ${ext} never enabled`);
  assert.ok(Object.keys(config.service.pipelines).length > 0, 'no pipeline');
  for (const [name, p] of Object.entries(config.service.pipelines)) {
    assert.match(name, /^(traces|metrics|logs)(\/[\w-]+)?$/, `pipeline name ${name}`);
    assert.ok((p.receivers ?? []).length > 0, `${name}: no receiver`);
    assert.ok((p.exporters ?? []).length > 0, `${name}: no exporter`);
    for (const r of p.receivers ?? []) {
      assert.ok(receivers.has(r) || connectors.has(r), `${name}: receiver ${r} undefined`);
      used.receivers.add(r);
    }
    for (const x of p.processors ?? []) {
      assert.ok(processors.has(x), `${name}: processor ${x} undefined`);
      used.processors.add(x);
    }
    for (const e of p.exporters ?? []) {
      assert.ok(exporters.has(e) || connectors.has(e), `${name}: exporter ${e} undefined`);
      used.exporters.add(e);
    }
    // memory_limiter must come first, batch after it (the Collector's documented order).
    const procs = p.processors ?? [];
    if (procs.includes('memory_limiter')) assert.equal(procs[0], 'memory_limiter', `${name}: memory_limiter first`);
  }
  for (const r of receivers) assert.ok(used.receivers.has(r), `receiver ${r} defined but unused`);
  for (const x of processors) assert.ok(used.processors.has(x), `processor ${x} defined but unused`);
  for (const e of exporters) assert.ok(used.exporters.has(e), `exporter ${e} defined but unused`);
}

describe('collector and Jaeger configs', () => {
  const collector = parse(read('otel-collector.yaml')) as CollectorConfig;
  const jaeger = parse(read('jaeger.yaml')) as CollectorConfig & {
    extensions: { jaeger_storage: { backends: Record<string, unknown> }; jaeger_query: { storage: { traces: string } } };
    exporters: { jaeger_storage_exporter: { trace_storage: string } };
  };

  it('otel-collector.yaml references only components it defines, and every pipeline is whole', () => {
    checkCollector(collector);
  });

  it('jaeger.yaml likewise, and its query and exporter use a storage backend it defines', () => {
    checkCollector(jaeger);
    const backends = Object.keys(jaeger.extensions.jaeger_storage.backends);
    assert.ok(backends.includes(jaeger.extensions.jaeger_query.storage.traces));
    assert.ok(backends.includes(jaeger.exporters.jaeger_storage_exporter.trace_storage));
  });

  it('the collector sends traces to Jaeger on the port Jaeger receives OTLP on', () => {
    const exp = (collector.exporters?.['otlp/jaeger'] ?? {}) as { endpoint: string };
    const [host, port] = exp.endpoint.split(':');
    assert.equal(host, 'jaeger');
    assert.ok(compose.services[host as string]);
    const grpc = (jaeger.receivers?.otlp as { protocols: { grpc: { endpoint: string } } }).protocols.grpc.endpoint;
    assert.equal(grpc.split(':')[1], port);
    assert.ok(collector.service.pipelines.traces?.exporters?.includes('otlp/jaeger'));
    // The sidecar posts OTLP/HTTP to the collector's http receiver.
    const http = (collector.receivers?.otlp as { protocols: { http: { endpoint: string } } }).protocols.http.endpoint;
    const sidecar = configSchema.parse(parse(read('switchyard/switchyard.yaml')));
    assert.equal(new URL(sidecar.telemetry.otlp?.endpoint ?? '').port, http.split(':')[1]);
  });

  it('the checker catches a dangling reference and an unused component (it can fail)', () => {
    const broken = structuredClone(collector);
    broken.service.pipelines.traces?.exporters?.push('clickhouse');
    assert.throws(() => checkCollector(broken), /exporter clickhouse undefined/);
    const unused = structuredClone(collector);
    (unused.processors as Record<string, unknown>).attributes = {};
    assert.throws(() => checkCollector(unused), /processor attributes defined but unused/);
  });
});

describe('grafana/datasources.yaml', () => {
  const ds = parse(read('grafana/datasources.yaml')) as {
    datasources: { uid: string; type: string; url?: string; jsonData?: { host?: string; port?: number } }[];
  };
  const byUid = new Map(ds.datasources.map((d) => [d.uid, d]));

  it('provisions ClickHouse (plugin) and Jaeger with the uids the dashboards use, pointing at the stack', () => {
    assert.equal(byUid.get('switchyard-clickhouse')?.type, 'grafana-clickhouse-datasource');
    assert.equal(byUid.get('switchyard-clickhouse')?.jsonData?.host, 'clickhouse');
    assert.equal(byUid.get('switchyard-clickhouse')?.jsonData?.port, 8123);
    assert.equal(byUid.get('switchyard-jaeger')?.type, 'jaeger');
    assert.equal(new URL(byUid.get('switchyard-jaeger')?.url ?? '').hostname, 'jaeger');
  });

  it('every datasource uid in the generated dashboards and alert rules is provisioned here', () => {
    const uids = new Set<string>();
    const walk = (v: unknown, key?: string): void => {
      if (Array.isArray(v)) {
        for (const x of v) walk(x);
        return;
      }
      if (v === null || typeof v !== 'object') return;
      const o = v as Record<string, unknown>;
      if ((key === 'datasource' || key === 'model') && typeof o.uid === 'string') uids.add(o.uid);
      if (typeof o.datasourceUid === 'string') uids.add(o.datasourceUid);
      for (const [k, x] of Object.entries(o)) walk(x, k);
    };
    const generated = join(repo, 'dashboards/generated');
    const files = readdirSync(generated).filter((f) => f.endsWith('.json'));
    assert.ok(files.length > 0, 'no generated dashboards');
    for (const f of files) walk(JSON.parse(readFileSync(join(generated, f), 'utf8')));
    walk(parse(readFileSync(join(repo, 'dashboards/provisioning/alerting/rules.yaml'), 'utf8')));
    const referenced = [...uids].filter((u) => u !== '__expr__' && !u.startsWith('$') && !u.startsWith('-- '));
    assert.ok(referenced.length > 0);
    for (const uid of referenced) assert.ok(byUid.has(uid), `datasource ${uid} is referenced but not provisioned`);
  });
});
