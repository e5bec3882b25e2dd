import { type ChangeRecord, ConnectError, key } from '../../api/index.js';
import { DateFormat } from '../support/date-format.js';
import { kafkaTransform } from '../support/define.js';
import { withTopic } from '../support/records.js';

export const timestampRouter = kafkaTransform('TimestampRouter', 'timestamp-router', {
  doc: "Update the record's topic field as a function of the original topic value and the record timestamp. This is mainly useful for sink connectors, since the topic field is often used to determine the equivalent entity name in the destination system (e.g. database table or search index name).",
  configSpec: [
    key(
      'topic.format',
      'string',
      'Format string which can contain ${topic} and ${timestamp} as placeholders for the topic and timestamp, respectively.',
      {
        default: '${topic}-${timestamp}',
      },
    ),
    key(
      'timestamp.format',
      'string',
      'Format string for the timestamp that is compatible with java.text.SimpleDateFormat.',
      { default: 'yyyyMMdd' },
    ),
  ],
  create(config) {
    const topicFormat = config.string('topic.format');
    const fmt = new DateFormat(config.string('timestamp.format'), 'timestamp.format');
    return (record: ChangeRecord) => {
      if (record.timestamp === undefined || record.timestamp === null) {
        throw new ConnectError(`Timestamp missing on record: ${record.topic}`);
      }
      const ts = fmt.format(record.timestamp);
      return withTopic(record, topicFormat.replaceAll('${topic}', record.topic).replaceAll('${timestamp}', ts));
    };
  },
});
