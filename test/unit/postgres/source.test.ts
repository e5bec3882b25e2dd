import { describe, expect, it } from 'vitest';
import { type SourceFields, sourceValue } from '../../../connectors/postgres/source.js';

const fields = (lastCommitLsn: number | null, lsn: number | null): SourceFields => ({
  name: 'p',
  db: 'db',
  schema: 'public',
  table: 't',
  tsUs: 1_700_000_000_123_456n,
  snapshot: 'false',
  txId: 7,
  lsn,
  lastCommitLsn,
});

describe('PostgreSQL source block', () => {
  // Debezium's `sequence`: a JSON array of the last commit's LSN and the event's, as strings, or null.
  it('writes source.sequence as Debezium does, LSNs past 2^32 and nulls included', () => {
    expect(sourceValue(fields(23_456_789, 23_457_000)).sequence).toBe('["23456789","23457000"]');
    expect(sourceValue(fields(null, 2 ** 40)).sequence).toBe('[null,"1099511627776"]');
    expect(sourceValue(fields(5, null)).sequence).toBe('["5",null]');
    expect(JSON.parse(sourceValue(fields(2 ** 52, 2 ** 52 + 1)).sequence as string)).toEqual([
      '4503599627370496',
      '4503599627370497',
    ]);
  });
});
