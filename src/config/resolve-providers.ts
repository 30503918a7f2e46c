import { readFileSync } from 'node:fs';
import { getProfile, PRESET_IDS } from '../providers/profiles.js';
import type { ResolvedProvider, VendorProfile } from '../providers/types.js';
import type { ConfigProblem } from './config-error.js';
import type { RawProvider } from './schema.js';

const GENERIC_BY_PROTOCOL: Record<string, string> = { openai: 'openai', anthropic: 'anthropic', gemini: 'gemini' };

/** Preset → profile, region → base URL, key source → reader. Problems are collected, not thrown. */
export function resolveProvider(name: string, raw: RawProvider, problems: ConfigProblem[], files: string[]): ResolvedProvider | undefined {
  const at = `providers.${name}`;
  let profile: VendorProfile | undefined;
  if (raw.preset !== undefined) {
    profile = getProfile(raw.preset);
    if (!profile) {
      problems.push({ path: `${at}.preset`, message: `unknown preset "${raw.preset}" (known: ${PRESET_IDS.join(', ')})` });
      return undefined;
    }
  } else if (raw.protocol !== undefined) {
    profile = getProfile(GENERIC_BY_PROTOCOL[raw.protocol] ?? raw.protocol);
    if (!profile) {
      problems.push({ path: `${at}.protocol`, message: `protocol "${raw.protocol}" has no adapter yet (available: openai)` });
      return undefined;
    }
  } else {
    problems.push({ path: at, message: 'needs "preset" or "protocol"' });
    return undefined;
  }
  if (raw.protocol !== undefined && raw.protocol !== profile.protocol) {
    problems.push({ path: `${at}.protocol`, message: `preset "${profile.id}" speaks "${profile.protocol}", not "${raw.protocol}"` });
  }

  let baseUrl = raw.base_url;
  if (baseUrl === undefined) {
    const region = raw.region ?? profile.defaultRegion;
    baseUrl = profile.baseUrls[region];
    if (baseUrl === undefined) {
      const regions = Object.keys(profile.baseUrls);
      problems.push(
        regions.length === 0
          ? { path: at, message: `needs "base_url" (preset "${profile.id}" has no default)` }
          : { path: `${at}.region`, message: `unknown region "${region}" for preset "${profile.id}" (known: ${regions.join(', ')})` },
      );
      return undefined;
    }
  } else if (raw.region !== undefined) {
    problems.push({ path: `${at}.region`, message: 'set either "region" or "base_url", not both' });
  }

  let key: string | undefined = raw.api_key;
  if (raw.api_key !== undefined && raw.api_key_file !== undefined) {
    problems.push({ path: at, message: 'set either "api_key" or "api_key_file", not both' });
  } else if (raw.api_key_file !== undefined) {
    files.push(raw.api_key_file);
    try {
      key = readFileSync(raw.api_key_file, 'utf8').trim();
      if (!key) problems.push({ path: `${at}.api_key_file`, message: `file ${raw.api_key_file} is empty` });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      problems.push({ path: `${at}.api_key_file`, message: `cannot read ${raw.api_key_file} (${code})` });
    }
  }
  const secret = key;
  return {
    name,
    profile,
    protocol: profile.protocol,
    baseUrl: baseUrl.replace(/\/+$/, ''),
    apiKey: () => secret,
    forwardClientKey: raw.forward_client_key,
    headers: { ...(profile.headers ?? {}), ...(raw.headers ?? {}) },
  };
}
