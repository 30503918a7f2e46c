/**
 * `${VAR}` and `${VAR:-default}` expansion inside YAML string values (after parsing, so an env value
 * can never change the YAML structure). `$${` escapes a literal `${`. Records which paths received
 * env values so error messages never echo them (they may be secrets).
 */
import type { ConfigProblem } from './config-error.js';
import { formatPath } from './config-error.js';

const PATTERN = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface ExpandResult {
  value: unknown;
  problems: ConfigProblem[];
  /** Formatted paths whose value came (partly) from the environment. */
  secretPaths: Set<string>;
}

export function expandEnv(root: unknown, env: NodeJS.ProcessEnv): ExpandResult {
  const problems: ConfigProblem[] = [];
  const secretPaths = new Set<string>();

  const visit = (node: unknown, path: PropertyKey[]): unknown => {
    if (typeof node === 'string') return expandString(node, path);
    if (Array.isArray(node)) return node.map((v, i) => visit(v, [...path, i]));
    if (node && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) out[k] = visit(v, [...path, k]);
      return out;
    }
    return node;
  };

  const expandString = (text: string, path: PropertyKey[]): string => {
    if (!text.includes('${')) return text;
    let usedEnv = false;
    const result = text.replace(PATTERN, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === '$${') return '${';
      const value = env[name as string];
      if (value !== undefined && value !== '') {
        usedEnv = true;
        return value;
      }
      if (fallback !== undefined) return fallback;
      problems.push({ path: formatPath(path), message: `environment variable ${name} is not set` });
      return '';
    });
    if (usedEnv) secretPaths.add(formatPath(path));
    return result;
  };

  return { value: visit(root, []), problems, secretPaths };
}
