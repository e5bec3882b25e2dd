import { kafkaTransform } from '../support/define.js';

export const filter = kafkaTransform('Filter', 'filter', {
  doc: 'Drops all records, filtering them from subsequent transformations in the chain. This is intended to be used conditionally to filter out records matching (or not matching) a particular Predicate.',
  configSpec: [],
  create: () => () => null,
});
