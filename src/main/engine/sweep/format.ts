/**
 * Text rendering of a sweep's results for the terminal: one row per variant with accuracy and size, one column
 * per device × backend with p50 latency and speed-up over the baseline (* = on the Pareto front), then failures.
 */
import type { SweepResults } from '../../../common/types/sweep.js';

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function mb(bytes: number | undefined): string {
  return bytes === undefined ? '—' : `${(bytes / 1e6).toFixed(2)} MB`;
}

export function formatResults(r: SweepResults): string {
  const lines: string[] = [];
  lines.push(
    `\nSweep ${r.sweepId} (${r.name}): ${r.state}, ${r.counts.ok}/${r.counts.total} runs ok, ${r.counts.failed} failed, ${r.counts.pending} not run`,
  );
  const head = ['variant', 'top-1', 'size', ...r.targets.map((t) => `${t.device}/${t.backend}`)];
  const rows = r.rows.map((row) => [
    row.label + (row.duplicateOf ? ` (= ${row.duplicateOf})` : ''),
    row.top1 === undefined ? '—' : `${(row.top1 * 100).toFixed(2)} %`,
    mb(row.bytes),
    ...row.cells.map((c) => {
      if (c.status === 'ok' && c.p50Ms !== undefined) {
        const speed = c.speedup === undefined ? '' : ` ×${c.speedup.toFixed(2)}`;
        return `${c.p50Ms.toFixed(2)} ms${speed}${c.pareto ? ' *' : ''}`;
      }
      return c.status === 'failed' ? `failed ${c.error?.code ?? ''}` : c.status;
    }),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)) + 2);
  lines.push(head.map((h, i) => pad(h, widths[i]!)).join(''));
  for (const row of rows) lines.push(row.map((c, i) => pad(c, widths[i]!)).join(''));
  lines.push('p50 latency, ×speed-up vs baseline on the same device/backend, * = Pareto front (accuracy vs latency)');
  const problems = new Set<string>();
  for (const row of r.rows) {
    if (row.error)
      problems.add(
        `${row.label}: ${row.error.code}: ${row.error.message}${row.error.hint ? ` — ${row.error.hint}` : ''}`,
      );
    for (const c of row.cells) {
      if (c.status === 'failed' && c.error && c.error !== row.error) {
        problems.add(
          `${row.label} on ${c.device}/${c.backend}: ${c.error.code}: ${c.error.message}${c.error.hint ? ` — ${c.error.hint}` : ''}`,
        );
      }
    }
  }
  if (problems.size) lines.push('', 'Problems:', ...[...problems].map((p) => `  ${p}`));
  if (r.state === 'cancelled' || r.state === 'interrupted' || r.counts.pending > 0)
    lines.push('', `Resume with: pqv sweep --resume ${r.sweepId}`);
  return `${lines.join('\n')}\n`;
}
