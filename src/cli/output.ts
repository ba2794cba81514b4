/** Aligned `label  value` lines; empty values are left out. */
export function formatFields(rows: ReadonlyArray<readonly [string, string | null | undefined]>): string {
  const shown = rows.filter(([, v]) => v !== null && v !== undefined && v !== '');
  const width = Math.max(0, ...shown.map(([label]) => label.length));
  return shown.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

/** A plain table with a header row, columns padded to their widest cell. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

export const yesNo = (v: boolean): string => (v ? 'yes' : 'no');

export const isoOrNull = (d: Date | null): string | null => (d ? d.toISOString() : null);
