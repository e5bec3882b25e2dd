import { type ChangeRecord, type Config, ConnectError, key } from '../../api/index.js';
import { DEBEZIUM_PACKAGE, debeziumTransform } from '../support/define.js';
import { compileExpression } from '../support/expression.js';
import { compileJavaRegex } from '../support/java-regex.js';
import { withTopic } from '../support/records.js';

/** Debezium's scripting engine names; each is accepted and the expression is evaluated as CEL (see docs/transforms.md). */
const LANGUAGES = ['jsr223.groovy', 'jsr223.graal.js', 'jsr223.javascript', 'cel'];

const common = [
  key(
    'language',
    'string',
    "Debezium's jsr223.groovy / jsr223.graal.js names and `cel` are accepted; every expression is evaluated as CEL.",
    {
      validate: (v) =>
        LANGUAGES.includes(String(v).toLowerCase()) ? undefined : `Value must be one of ${LANGUAGES.join(', ')}`,
    },
  ),
  key('topic.regex', 'string', 'Only records whose whole topic matches are evaluated; others pass unchanged.', {
    default: null,
  }),
  key(
    'null.handling.mode',
    'string',
    'Records with a null value: keep (pass them), drop, or evaluate the expression on them too.',
    {
      default: 'keep',
      validValues: ['keep', 'drop', 'evaluate'],
    },
  ),
];

function topicGuard(pattern: string | undefined): (topic: string) => boolean {
  if (pattern === undefined || pattern === '') return () => true;
  const re = compileJavaRegex(pattern, 'topic.regex');
  return (topic) => re.test(topic);
}

/**
 * What both transforms do before evaluating their expression: records outside `topic.regex` pass unchanged, and
 * records with a null value follow `null.handling.mode`. Returns the record itself or null when that decides,
 * undefined when the expression must run.
 */
function preCheck(config: Config): (record: ChangeRecord) => ChangeRecord | null | undefined {
  const applies = topicGuard(config.optionalString('topic.regex'));
  const nulls = config.string('null.handling.mode');
  return (record) => {
    if (!applies(record.topic)) return record;
    if (record.value === null || record.value === undefined) {
      if (nulls === 'keep') return record;
      if (nulls === 'drop') return null;
    }
    return undefined;
  };
}

export const contentFilter = debeziumTransform(`${DEBEZIUM_PACKAGE}Filter`, 'content-filter', ['ContentFilter'], {
  doc: 'Keeps the records for which the condition evaluates to true and drops the others.',
  configSpec: [key('condition', 'string', 'Boolean expression; records for which it is true are kept.'), ...common],
  create(config) {
    const condition = compileExpression(config.string('condition'), 'condition');
    const decided = preCheck(config);
    return (record: ChangeRecord) => {
      const early = decided(record);
      if (early !== undefined) return early;
      const result = condition(record);
      if (typeof result !== 'boolean')
        throw new ConnectError(`Filter condition must return a boolean, got ${typeof result}`);
      return result ? record : null;
    };
  },
});

export const contentBasedRouter = debeziumTransform(
  `${DEBEZIUM_PACKAGE}ContentBasedRouter`,
  'content-based-router',
  ['ContentBasedRouter'],
  {
    doc: 'Changes the topic of each record to the value of an expression; a null or empty result keeps the topic.',
    configSpec: [
      key('topic.expression', 'string', 'Expression giving the new topic; null or empty text keeps the topic.'),
      ...common,
    ],
    create(config) {
      const expression = compileExpression(config.string('topic.expression'), 'topic.expression');
      const decided = preCheck(config);
      return (record: ChangeRecord) => {
        const early = decided(record);
        if (early !== undefined) return early;
        const topic = expression(record);
        if (topic === null || topic === undefined || topic === '') return record;
        if (typeof topic !== 'string')
          throw new ConnectError(`Router expression must return a string, got ${typeof topic}`);
        return withTopic(record, topic);
      };
    },
  },
);
