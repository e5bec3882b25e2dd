import type { PredicatePlugin, TransformPlugin } from '../api/index.js';
import { byLogicalTableRouter } from './debezium/by-logical-table-router.js';
import { contentBasedRouter, contentFilter } from './debezium/content-based.js';
import { extractNewRecordState } from './debezium/extract-new-record-state.js';
import { headerToValue } from './debezium/header-to-value.js';
import { outboxEventRouter } from './debezium/outbox-event-router.js';
import { castKey, castValuePlugin } from './kafka/cast.js';
import { dropHeaders } from './kafka/drop-headers.js';
import { extractFieldKey, extractFieldValue } from './kafka/extract-field.js';
import { filter } from './kafka/filter.js';
import { flattenKey, flattenValue } from './kafka/flatten.js';
import { headerFromKey, headerFromValue } from './kafka/header-from.js';
import { hoistFieldKey, hoistFieldValue } from './kafka/hoist-field.js';
import { insertFieldKey, insertFieldValue } from './kafka/insert-field.js';
import { insertHeader } from './kafka/insert-header.js';
import { maskFieldKey, maskFieldValue } from './kafka/mask-field.js';
import { hasHeaderKey, recordIsTombstone, topicNameMatches } from './kafka/predicates.js';
import { regexRouter } from './kafka/regex-router.js';
import { replaceFieldKey, replaceFieldValue } from './kafka/replace-field.js';
import { setSchemaMetadataKey, setSchemaMetadataValue } from './kafka/set-schema-metadata.js';
import { timestampConverterKey, timestampConverterValue } from './kafka/timestamp-converter.js';
import { timestampRouter } from './kafka/timestamp-router.js';
import { valueToKey } from './kafka/value-to-key.js';

/** Every built-in transform and predicate (docs/transforms.md lists their names and keys). */
export const transformPlugins: readonly (TransformPlugin | PredicatePlugin)[] = [
  castKey,
  castValuePlugin,
  dropHeaders,
  extractFieldKey,
  extractFieldValue,
  filter,
  flattenKey,
  flattenValue,
  headerFromKey,
  headerFromValue,
  hoistFieldKey,
  hoistFieldValue,
  insertFieldKey,
  insertFieldValue,
  insertHeader,
  maskFieldKey,
  maskFieldValue,
  regexRouter,
  replaceFieldKey,
  replaceFieldValue,
  setSchemaMetadataKey,
  setSchemaMetadataValue,
  timestampConverterKey,
  timestampConverterValue,
  timestampRouter,
  valueToKey,
  topicNameMatches,
  hasHeaderKey,
  recordIsTombstone,
  extractNewRecordState,
  byLogicalTableRouter,
  outboxEventRouter,
  headerToValue,
  contentFilter,
  contentBasedRouter,
];
