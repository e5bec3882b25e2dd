import { kafkaTransform } from '../support/define.js';

export const filter = kafkaTransform('Filter', 'filter', {
  doc: 'Drops every record it sees; combine it with a predicate to drop only some.',
  configSpec: [],
  create: () => () => null,
});
