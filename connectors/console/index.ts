import { type Config, defineSinkConnector, key } from '../../runtime/api/index.js';
import { ConsoleSinkTask } from './sink.js';

export { displayValue, renderRecord } from './render.js';
export { ConsoleSinkTask } from './sink.js';

/** Prints every record it consumes to stdout: what `sluice demo` shows, and a quick look at any pipeline. */
export const consoleSinkPlugin = defineSinkConnector({
  name: 'console',
  className: 'io.sluice.connectors.console.ConsoleSink',
  version: '1.0.0',
  doc: 'Prints each record to stdout: readable text (operation, key, before/after) or the converted JSON.',
  configSpec: [
    key(
      'format',
      'string',
      'text: one readable line per record (topic, operation, key, before/after); json: `{"topic","key","value"}` per line, key and value as the converters write them.',
      { default: 'text', validValues: ['text', 'json'], importance: 'HIGH' },
    ),
  ],
  async taskConfigs(config: Config) {
    return [{ format: config.string('format') }];
  },
  createTask: () => new ConsoleSinkTask(),
});
