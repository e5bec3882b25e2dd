export * from './schema.js';
export * from './decimal.js';
export * from './logical.js';
export * from './record.js';
export * from './byte-builder.js';
export * from './civil.js';
