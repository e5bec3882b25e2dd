import type { Plugin } from '../api/index.js';
import { apicurioAvroConverterPlugin, avroConverterPlugin } from '../converters/avro/plugin.js';
import { cloudEventsConverterPlugin } from '../converters/cloudevents/converter.js';
import { jsonConverterPlugin } from '../converters/json.js';
import { byteArrayConverterPlugin, simpleHeaderConverterPlugin, stringConverterPlugin } from '../converters/simple.js';
import { fileSinkPlugin, fileSourcePlugin } from '../../connectors/file/index.js';
import { consoleSinkPlugin } from '../../connectors/console/index.js';
import { httpSinkPlugin } from '../../connectors/http/index.js';
import { jdbcSinkPlugin } from '../../connectors/jdbc/index.js';
import { postgresSourcePlugin } from '../../connectors/postgres/index.js';
import { mongoSourceConnector } from '../../connectors/mongodb/index.js';
import { mariadbSourcePlugin, mysqlSourcePlugin } from '../../connectors/mysql/index.js';
import { transformPlugins } from '../transforms/index.js';
import { PluginRegistry } from './registry.js';

/** Every built-in plugin. A new connector, transform or converter adds itself to one of these lists. */
const converters: Plugin[] = [
  jsonConverterPlugin,
  stringConverterPlugin,
  byteArrayConverterPlugin,
  simpleHeaderConverterPlugin,
  avroConverterPlugin,
  apicurioAvroConverterPlugin,
  cloudEventsConverterPlugin,
];
const connectors: Plugin[] = [
  fileSourcePlugin,
  fileSinkPlugin,
  consoleSinkPlugin,
  postgresSourcePlugin,
  mongoSourceConnector,
  mysqlSourcePlugin,
  mariadbSourcePlugin,
  jdbcSinkPlugin,
  httpSinkPlugin,
];
const transforms: Plugin[] = [...transformPlugins];

export function builtinRegistry(): PluginRegistry {
  return new PluginRegistry().register(...converters, ...connectors, ...transforms);
}
