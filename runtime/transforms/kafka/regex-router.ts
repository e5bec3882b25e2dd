import { type ChangeRecord, key } from '../../api/index.js';
import { kafkaTransform } from '../support/define.js';
import { compileJavaRegex, javaReplacement } from '../support/java-regex.js';
import { withTopic } from '../support/records.js';

export const regexRouter = kafkaTransform('RegexRouter', 'regex-router', {
  doc: 'Renames the topic when the whole topic name matches a regular expression, using a replacement with `$n` / `${name}` group references.',
  configSpec: [
    key('regex', 'string', 'Java-syntax regular expression that must match the entire topic.'),
    key('replacement', 'string', 'New topic; `$1`, `${name}` refer to groups, `\\$` is a literal dollar.'),
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
