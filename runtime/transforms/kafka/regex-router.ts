import { type ChangeRecord, key } from '../../api/index.js';
import { kafkaTransform } from '../support/define.js';
import { compileJavaRegex, javaReplacement } from '../support/java-regex.js';
import { withTopic } from '../support/records.js';

export const regexRouter = kafkaTransform('RegexRouter', 'regex-router', {
  doc: 'Update the record topic using the configured regular expression and replacement string. The regex must match the whole topic.',
  configSpec: [
    key('regex', 'string', 'Regular expression to use for matching.'),
    key('replacement', 'string', 'Replacement string.'),
  ],
  create(config) {
    const re = compileJavaRegex(config.string('regex'), 'regex');
    const replace = javaReplacement(config.string('replacement'), 'replacement');
    // Routing sees few distinct topics; caching the answer keeps the regex off the hot path.
    const cache = new Map<string, string>();
    return (record: ChangeRecord) => {
      let topic = cache.get(record.topic);
      if (topic === undefined) {
        const m = re.exec(record.topic);
        topic = m ? replace(m) : record.topic;
        if (cache.size < 1000) cache.set(record.topic, topic);
      }
      return withTopic(record, topic);
    };
  },
});
