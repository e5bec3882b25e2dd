/**
 * The public plugin API. A connector, transform or converter imports this module (and runtime/data, which it
 * re-exports) and nothing else of sluice.
 */
export * from './errors.js';
export * from './config-spec.js';
export * from './plugins.js';
export * from './signals.js';
export * from './encoded.js';
export * from '../data/index.js';
