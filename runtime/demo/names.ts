/** The demo's connectors and topic prefix. */
export const SOURCE = 'demo-postgres';
export const SINK = 'demo-console';
export const TOPIC_PREFIX = 'demo';
