import { printable } from './io.js';

/**
 * A table in kubectl's manner: upper-case headers, columns padded to their widest cell and three spaces apart, no
 * borders, so `grep` and `awk` work on it too. Cells are made printable and cut to their first line.
 */
export function renderTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const cells = [headers.map((h) => h.toUpperCase()), ...rows.map((r) => r.map(cell))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
        .join('   ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

function cell(text: string): string {
  const first = text.split('\n', 1)[0] ?? '';
  return printable(first.length < text.length ? `${first} …` : first);
}
