import { describe, expect, it } from 'vitest';
import {
  daysFromCivil,
  parseDate,
  parseTimeMicros,
  parseTimestampMicros,
  zonedTime,
  zonedTimestamp,
} from '../../../connectors/postgres/temporal.js';
import { intervalIso, intervalMicros } from '../../../connectors/postgres/mapping/temporal.js';

describe('PostgreSQL text dates and times', () => {
  it('counts days from the epoch, including BC and far years', () => {
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
    expect(parseDate('2024-02-29')).toBe(19782);
    expect(parseDate('1969-12-31')).toBe(-1);
    expect(parseDate('0001-01-01')).toBe(-719162);
    expect(parseDate('0001-12-31 BC')).toBe(-719163);
    expect(parseDate('infinity')).toBe(2147483647);
    expect(parseDate('-infinity')).toBe(-2147483648);
  });

  it('keeps microseconds of times and timestamps exactly', () => {
    expect(parseTimeMicros('13:45:07.123456')).toBe(49507123456n);
    expect(parseTimeMicros('24:00:00')).toBe(86400000000n);
    expect(parseTimestampMicros('2024-01-02 03:04:05.123456')).toBe(1704164645123456n);
    expect(parseTimestampMicros('1969-12-31 23:59:59.999999')).toBe(-1n);
    expect(parseTimestampMicros('2024-01-02 05:04:05.5+02')).toBe(1704164645500000n);
    expect(parseTimestampMicros('infinity')).toBe(9223372036854775807n);
    expect(parseTimestampMicros('-infinity')).toBe(-9223372036854775808n);
  });

  it('writes zoned timestamps in UTC with the column precision in fraction digits, zoned times trimmed', () => {
    // PostgreSQL prints `.12345` for .123450; Debezium (since 2.2) pads to the column's precision, 6 by default.
    expect(zonedTimestamp('2024-01-02 03:04:05.12345+00')).toBe('2024-01-02T03:04:05.123450Z');
    expect(zonedTimestamp('2024-01-02 03:04:05+05:30')).toBe('2024-01-01T21:34:05.000000Z');
    expect(zonedTimestamp('1960-06-01 00:00:00.000001+00')).toBe('1960-06-01T00:00:00.000001Z');
    expect(zonedTimestamp('2024-01-02 03:04:05.1+00', 3)).toBe('2024-01-02T03:04:05.100Z');
    expect(zonedTimestamp('2024-01-02 03:04:05.1+01', 3)).toBe('2024-01-02T02:04:05.100Z');
    expect(zonedTimestamp('2024-01-02 03:04:05+00', 0)).toBe('2024-01-02T03:04:05Z');
    expect(zonedTimestamp('infinity')).toBe('infinity');
    expect(zonedTime('13:45:07.5+02')).toBe('11:45:07.5Z');
    expect(zonedTime('01:00:00-03')).toBe('04:00:00Z');
    expect(zonedTime('01:00:00+03')).toBe('22:00:00Z');
  });

  it('maps intervals to MicroDuration as Debezium computes it (doubles, then a saturating long), and to ISO strings', () => {
    // Debezium's arithmetic in doubles loses this microsecond ((1 + 1e-6) * 1e6 = 1000000.9999…, truncated); the
    // JDBC driver's PGInterval and Debezium's MicroDuration give 1000000 (checked with Java 17), and so does sluice.
    expect(intervalMicros('PT1.000001S')).toBe(1000000);
    expect(intervalMicros('PT0.000001S')).toBe(1);
    expect(intervalMicros('P1DT-1H')).toBe(82800000000);
    expect(intervalMicros('P1M')).toBe(2629800000000);
    // Debezium adds the seconds as a double: (…* 60 + 6.789) * 1e6, truncated.
    expect(intervalMicros('P1Y2M3DT4H5M6.789S')).toBe(
      Math.trunc((((14 * (365.25 / 12) + 3) * 24 + 4) * 60 + 5) * 60 * 1e6 + 6.789 * 1e6),
    );
    expect(intervalMicros('PT-0.5S')).toBe(-500000);
    // Beyond int64: Java's (long) cast saturates (checked against Debezium 3.6.1 in the conformance suite).
    expect(intervalMicros('P178000000Y')).toBe(9223372036854775807n);
    expect(intervalMicros('P-178000000Y')).toBe(-9223372036854775808n);
    expect(intervalIso('P1Y2M3DT4H5M6.78S')).toBe('P1Y2M3DT4H5M6.78S');
    expect(intervalIso('PT0S')).toBe('P0Y0M0DT0H0M0S');
    expect(intervalIso('PT-0.000001S')).toBe('P0Y0M0DT0H0M-0.000001S');
  });
});
