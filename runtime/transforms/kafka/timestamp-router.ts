import { type ChangeRecord, ConnectError, key } from '../../api/index.js';
import { DateFormat } from '../support/date-format.js';
import { kafkaTransform } from '../support/define.js';
import { withTopic } from '../support/records.js';

export const timestampRouter = kafkaTransform('TimestampRouter', 'timestamp-router', {
  doc: 'Renames the topic from the old topic and the record timestamp, e.g. to write into one table or index per day.',
  configSpec: [
    key('topic.format', 'string', 'Template of the new topic; `${topic}` and `${timestamp}` are substituted.', {
      default: '${topic}-${timestamp}',
    }),
    key('timestamp.format', 'string', 'java.text.SimpleDateFormat pattern (UTC) for `${timestamp}`.', {
      default: 'yyyyMMdd',
    }),
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
