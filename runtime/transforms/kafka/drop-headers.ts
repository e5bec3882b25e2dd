import { type ChangeRecord, key } from '../../api/index.js';
import { kafkaTransform } from '../support/define.js';
import { withHeaders } from '../support/records.js';

export const dropHeaders = kafkaTransform('DropHeaders', 'drop-headers', {
  doc: 'Deletes the named headers (every occurrence) from each record.',
  configSpec: [
    key('headers', 'list', 'Header names to delete.', {
      validate: (v) => ((v as string[]).length === 0 ? 'must name at least one header' : undefined),
    }),
  ],
  create(config) {
    const names = new Set(config.list('headers'));
    return (record: ChangeRecord) => {
      if (!record.headers.some((h) => names.has(h.key))) return record;
      return withHeaders(
        record,
        record.headers.filter((h) => !names.has(h.key)),
      );
    };
  },
});
