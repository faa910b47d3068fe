/** `stagefix.yaml`: loading, applying, merging with flags, and the exit-code contract. */
export { CONFIG_FILE_NAME, MAX_ALIAS_COUNT, MAX_CONFIG_BYTES, findConfig, loadConfig, parseConfig } from './load.js';
export { applyConfig, mergeOptions, ownerOf, type CliFlags, type Options } from './apply.js';
export { exitCode } from './exit-code.js';
export * from './types.js';
