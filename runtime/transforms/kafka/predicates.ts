import { type ChangeRecord, definePredicate, key, type PredicatePlugin } from '../../api/index.js';
import { VERSION } from '../support/define.js';
import { compileJavaRegex } from '../support/java-regex.js';

const PACKAGE = 'org.apache.kafka.connect.transforms.predicates.';

function kafkaPredicate(
  simple: string,
  name: string,
  p: Omit<PredicatePlugin, 'type' | 'name' | 'className' | 'aliases' | 'version'>,
) {
  return definePredicate({ name, className: PACKAGE + simple, aliases: [simple], version: VERSION, ...p });
}

export const topicNameMatches = kafkaPredicate('TopicNameMatches', 'topic-name-matches', {
  doc: 'A predicate which is true for records with a topic name that matches the configured regular expression.',
  configSpec: [
    key('pattern', 'string', "A Java regular expression for matching against the name of a record's topic."),
  ],
  create(config) {
    const re = compileJavaRegex(config.string('pattern'), 'pattern');
    // Few distinct topics flow through a task: remember each answer rather than run the regex per record.
    const answers = new Map<string, boolean>();
    return (record: ChangeRecord) => {
      const topic = record.topic;
      if (topic === undefined || topic === null) return false;
      let hit = answers.get(topic);
      if (hit === undefined) {
        hit = re.test(topic);
        if (answers.size < 1000) answers.set(topic, hit);
      }
      return hit;
    };
  },
});

export const hasHeaderKey = kafkaPredicate('HasHeaderKey', 'has-header-key', {
  doc: 'A predicate which is true for records with at least one header with the configured name.',
  configSpec: [key('name', 'string', 'The header name.')],
  create(config) {
    const name = config.string('name');
    return (record: ChangeRecord) => record.headers.some((h) => h.key === name);
  },
});

export const recordIsTombstone = kafkaPredicate('RecordIsTombstone', 'record-is-tombstone', {
  doc: 'A predicate which is true for records which are tombstones (i.e. have null value).',
  configSpec: [],
  create() {
    return (record: ChangeRecord) => record.value === null || record.value === undefined;
  },
});
