/** Vendor presets (one file per vendor under ./profiles/). Kept as a module path for config. */
export {
  GENERIC_OPENAI_PROFILE,
  genericProfile,
  getProfile,
  PRESET_IDS,
  profileRegions,
  resolveBaseUrl,
  SIMULATOR_PROFILE,
} from './profiles/index.js';
