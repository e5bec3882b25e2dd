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
  doc: 'True when the whole topic name matches the pattern.',
  configSpec: [key('pattern', 'string', 'Java-syntax regular expression matched against the entire topic name.')],
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
  doc: 'True when the record has a header of that name.',
  configSpec: [key('name', 'string', 'Header name to look for.')],
  create(config) {
    const name = config.string('name');
    return (record: ChangeRecord) => record.headers.some((h) => h.key === name);
  },
});

export const recordIsTombstone = kafkaPredicate('RecordIsTombstone', 'record-is-tombstone', {
  doc: "True when the record's value is null.",
  configSpec: [],
  create() {
    return (record: ChangeRecord) => record.value === null || record.value === undefined;
  },
});
