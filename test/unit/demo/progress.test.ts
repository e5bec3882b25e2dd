import { describe, expect, it } from 'vitest';
import { progressBar, utf8Locale } from '../../../runtime/demo/progress.js';

describe("the demo's progress bar", () => {
  it('shows the bar, rows of total, rows/s and seconds, and never reaches the last column', () => {
    const line = progressBar({ rows: 25_000, total: 100_000, elapsedMs: 2_000 }, 100, true);
    expect(line).toBe(`snapshot [${'█'.repeat(10)}${'░'.repeat(30)}] 25,000/100,000 rows · 12,500 rows/s · 2.0 s`);
    expect(line.length).toBeLessThan(100);
    for (const columns of [120, 80, 60, 45, 30, 10]) {
      const l = progressBar({ rows: 999_999, total: 1_000_000, elapsedMs: 123_456 }, columns, true);
      expect(l.length, `${columns} columns`).toBeLessThan(columns);
    }
  });

  it('narrow terminals get a percentage; a locale without UTF-8 gets ASCII', () => {
    expect(progressBar({ rows: 50, total: 200, elapsedMs: 1000 }, 48, true)).toBe(
      'snapshot 25% · 50/200 rows · 50 rows/s · 1.0 s',
    );
    expect(progressBar({ rows: 50, total: 200, elapsedMs: 1000 }, 30, true)).toBe('snapshot 25% · 50/200 rows');
    expect(progressBar({ rows: 50, total: 200, elapsedMs: 1000 }, 12, true)).toBe('snapshot 25');
    expect(progressBar({ rows: 200, total: 200, elapsedMs: 500 }, 80, false)).toMatch(
      /^snapshot \[#+\] 200\/200 rows - 400 rows\/s - 0\.5 s$/,
    );
    expect(utf8Locale({ LANG: 'en_US.UTF-8' })).toBe(true);
    expect(utf8Locale({ LC_ALL: 'C', LANG: 'en_US.UTF-8' })).toBe(false);
    expect(utf8Locale({ LC_CTYPE: 'C.utf8' })).toBe(true);
    expect(utf8Locale({})).toBe(false);
  });
});
