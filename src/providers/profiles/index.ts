import type { VendorProfile, WireProtocol } from '../types.js';
import { deepseek } from './deepseek.js';
import { doubao } from './doubao.js';
import { genericOpenAi, simulator } from './generic.js';
import { glm } from './glm.js';
import { minimax } from './minimax.js';
import { mistral } from './mistral.js';
import { moonshot } from './moonshot.js';
import { openai } from './openai.js';
import { qwen } from './qwen.js';
import { xai } from './xai.js';

function freeze(p: VendorProfile): VendorProfile {
  Object.freeze(p.baseUrls);
  if (p.headers) Object.freeze(p.headers);
  return Object.freeze(p);
}

const PRESETS: ReadonlyMap<string, VendorProfile> = new Map(
  [openai, deepseek, qwen, moonshot, glm, doubao, mistral, xai, minimax, simulator].map((p) => [p.id, freeze(p)]),
);

/** Names accepted by `preset:` in config, in a stable order. */
export const PRESET_IDS: readonly string[] = Object.freeze([...PRESETS.keys()]);

/** A preset by id (`openai`, `deepseek`, `qwen`, …, `simulator`), or undefined. */
export function getProfile(id: string): VendorProfile | undefined {
  return PRESETS.get(id);
}

/** The profile for `protocol: <p>` with an explicit base_url and no preset. */
export function genericProfile(protocol: WireProtocol): VendorProfile | undefined {
  return protocol === 'openai' ? GENERIC_OPENAI_PROFILE : undefined;
}

export const GENERIC_OPENAI_PROFILE: VendorProfile = freeze(genericOpenAi);
export const SIMULATOR_PROFILE: VendorProfile = simulator;

/** Regions a profile knows (empty when it has no fixed base URL). */
export function profileRegions(profile: VendorProfile): string[] {
  return Object.keys(profile.baseUrls);
}

/**
 * Base URL for a profile: an explicit override (config `base_url`) wins; else the region's URL
 * (default region when none is given). Undefined when the region is unknown or the profile has
 * no fixed URL (generic, simulator) and no override was given.
 */
export function resolveBaseUrl(input: { profile: VendorProfile; region?: string; override?: string }): string | undefined {
  if (input.override) return input.override.replace(/\/+$/, '');
  return input.profile.baseUrls[input.region ?? input.profile.defaultRegion];
}
