import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import type { ConfigProblem } from './config-error.js';
import { ConfigError } from './config-error.js';
import { EMBEDDED_DEFAULT_CONFIG } from './embedded-default.js';
import { expandEnv } from './expand-env.js';
import { formatIssues } from './format-issues.js';
import { resolveConfig } from './resolve.js';
import { configSchema } from './schema.js';
import type { Config } from './types.js';
import { validateSections } from './validate-sections.js';

export interface LoadOptions {
  /** Shown in errors and recorded as Config.source. */
  source: string;
  env?: NodeJS.ProcessEnv;
}

export function configHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** YAML text → validated, resolved, frozen Config. Throws ConfigError listing every problem. */
export function loadConfigText(text: string, opts: LoadOptions): Config {
  const env = opts.env ?? process.env;
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      opts.source,
      doc.errors.map((e) => ({
        path: '',
        message: `invalid YAML: ${e.message.split('\n')[0]}`,
        line: lines.linePos(e.pos[0]).line,
      })),
    );
  }
  const lineOf = (path: string): number | undefined => lineFor(doc, lines, path);
  const parsed: unknown = doc.toJS() ?? {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(opts.source, [{ path: '', message: 'expected a YAML mapping at the top level' }]);
  }
  const expanded = expandEnv(parsed, env);
  const withLines = (ps: ConfigProblem[]) =>
    ps.map((p) => ({ ...p, ...(lineOf(p.path) ? { line: lineOf(p.path) } : {}) })).sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  if (expanded.problems.length > 0) throw new ConfigError(opts.source, withLines(expanded.problems));

  const result = configSchema.safeParse(expanded.value, { reportInput: true });
  if (!result.success) throw new ConfigError(opts.source, withLines(formatIssues(configSchema, result.error.issues)));
  const sectionProblems = validateSections(result.data);
  const resolved = resolveConfig({ raw: result.data, hash: configHash(text), source: opts.source, env });
  const problems = [...sectionProblems, ...resolved.problems];
  if (problems.length > 0 || !resolved.config) throw new ConfigError(opts.source, withLines(problems));
  return resolved.config;
}

export function loadConfigFile(path: string, env?: NodeJS.ProcessEnv): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(path, [{ path: '', message: `cannot read config file (${code})` }]);
  }
  const config = loadConfigText(text, { source: path, ...(env ? { env } : {}) });
  return Object.freeze({ ...config, watchedFiles: Object.freeze([path, ...config.watchedFiles]) });
}

export function loadEmbeddedDefault(env?: NodeJS.ProcessEnv): Config {
  return loadConfigText(EMBEDDED_DEFAULT_CONFIG, { source: 'embedded', ...(env ? { env } : {}) });
}

/** Line of the deepest existing node on a formatted path like `features.a.targets[1].provider`. */
function lineFor(doc: ReturnType<typeof parseDocument>, lines: LineCounter, path: string): number | undefined {
  if (!path || !isMap(doc.contents)) return undefined;
  const segs: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) segs.push(m[2] !== undefined ? Number(m[2]) : (m[1] as string));
  let node: unknown = doc.contents;
  let offset: number | undefined = (doc.contents as { range?: [number] }).range?.[0];
  for (const seg of segs) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      offset = (pair.key as { range?: [number] }).range?.[0] ?? offset;
      node = pair.value;
    } else if (node && typeof node === 'object' && 'items' in node && typeof seg === 'number') {
      const item = (node as { items: unknown[] }).items[seg] as { range?: [number] } | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset === undefined ? undefined : lines.linePos(offset).line;
}
