import { rate, type SnapshotProgress } from './demo.js';

/**
 * The snapshot's progress bar, for a terminal: `snapshot [██████░░░░] 612/1,000 rows · 2,340 rows/s · 0.3 s`,
 * fitted to `columns` (one spare, so the line never wraps and `\r` can redraw it). Block characters where the
 * locale is UTF-8, `#`, `.` and `-` elsewhere.
 */
export function progressBar(p: SnapshotProgress, columns: number, unicode: boolean): string {
  const sep = unicode ? ' · ' : ' - ';
  const fraction = p.total > 0 ? Math.min(1, p.rows / p.total) : 1;
  const rows = `${p.rows.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')} rows`;
  const figures = [rows, `${rate(p.rows, p.elapsedMs)} rows/s`, `${(p.elapsedMs / 1000).toFixed(1)} s`].join(sep);
  const room = columns - 1;
  const label = p.label ?? 'snapshot';
  const width = Math.min(40, room - `${label} [] `.length - figures.length);
  if (width >= 5) return `${label} [${bar(fraction, width, unicode)}] ${figures}`;
  // Narrower: a percentage, and as many of the figures as fit.
  const percent = `${label} ${Math.floor(fraction * 100)}%`;
  for (const line of [`${percent}${sep}${figures}`, `${percent}${sep}${rows}`]) if (line.length <= room) return line;
  return percent.slice(0, Math.max(room, 0));
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
