// Progress on stderr: a redrawn bar with items/s and ETA on a terminal, a plain line every few
// seconds otherwise (CI logs), nothing with --quiet.

const fmt = (/** @type {number} */ n) => Math.round(n).toLocaleString('en-US');
const eta = (/** @type {number} */ s) => (!Number.isFinite(s) ? '?' : s >= 90 ? `${Math.round(s / 60)} min` : `${Math.ceil(s)} s`);

/**
 * @param {{ label: string, total: number, stream?: NodeJS.WriteStream, quiet?: boolean, everyMs?: number }} o
 * @returns {{ tick: (n?: number) => void, done: () => void }}
 */
export function progress({ label, total, stream = process.stderr, quiet = false, everyMs }) {
  if (quiet) return { tick: () => {}, done: () => {} };
  const tty = !!stream.isTTY;
  const every = everyMs ?? (tty ? 100 : 5000);
  const t0 = performance.now();
  let n = 0; let last = 0;
  const line = () => {
    const s = (performance.now() - t0) / 1000;
    const rate = s > 0 ? n / s : 0;
    // total 0: unknown (the first pass over a file), so no percentage or ETA.
    if (!total) return { pct: 0, text: `${fmt(n)} items, ${fmt(rate)} items/s` };
    const pct = Math.min(100, (100 * n) / total);
    const rest = rate > 0 ? (total - n) / rate : Infinity;
    return { pct, text: `${fmt(n)}/${fmt(total)} items (${pct.toFixed(0)} %), ${fmt(rate)} items/s, ETA ${eta(rest)}` };
  };
  const draw = (/** @type {boolean} */ final) => {
    const { pct, text } = line();
    if (tty) {
      const width = 24; const full = Math.round((pct / 100) * width);
      const bar = total ? ` [${'#'.repeat(full)}${'-'.repeat(width - full)}]` : '';
      stream.write(`\r${label}${bar} ${text}\x1b[K${final ? '\n' : ''}`);
    } else stream.write(`${label}: ${text}\n`);
  };
  return {
    tick(k = 1) {
      n += k;
      const now = performance.now();
      if (now - last >= every) { last = now; draw(false); }
    },
    done() { draw(true); },
  };
}
