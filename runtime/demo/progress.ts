import { rate, type SnapshotProgress } from './demo.js';

/**
 * The snapshot's progress bar, for a terminal: `snapshot [██████░░░░] 612/1,000 rows · 2,340 rows/s · 0.3 s`,
 * fitted to `columns` (one spare, so the line never wraps and `\r` can redraw it). Block characters where the
 * locale is UTF-8, `#`, `.` and `-` elsewhere.
 */
export function progressBar(p: SnapshotProgress, columns: number, unicode: boolean): string {
  const sep = unicode ? ' · ' : ' - ';
  const fraction = p.total > 0 ? Math.min(1, p.rows / p.total) : 1;
  const figures = [
    `${p.rows.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')} rows`,
    `${rate(p.rows, p.elapsedMs)} rows/s`,
    `${(p.elapsedMs / 1000).toFixed(1)} s`,
  ].join(sep);
  const head = 'snapshot ';
  const width = Math.min(40, columns - 1 - head.length - figures.length - 3);
  const line =
    width >= 5
      ? `${head}[${bar(fraction, width, unicode)}] ${figures}`
      : `${head}${Math.floor(fraction * 100)}%${sep}${figures}`;
  return line.slice(0, Math.max(columns - 1, 0));
}

function bar(fraction: number, width: number, unicode: boolean): string {
  const filled = Math.round(fraction * width);
  return (unicode ? '█' : '#').repeat(filled) + (unicode ? '░' : '.').repeat(width - filled);
}

/** Whether the terminal's locale takes UTF-8 (LC_ALL, then LC_CTYPE, then LANG decide, as in C's setlocale). */
export function utf8Locale(env: NodeJS.ProcessEnv = process.env): boolean {
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  return /utf-?8/i.test(locale);
}
