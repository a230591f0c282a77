// Number formatting shared by the pages: one rule per kind of number, so a rate reads the
// same everywhere. Raw values go into data- attributes (String(x) round-trips exactly).
const MINUS = '\u2212';

const signed = (s: string) => (s.startsWith('-') ? MINUS + s.slice(1) : s);

// One formatter for every count: Number#toLocaleString builds a new one per call, which costs
// tens of microseconds each — milliseconds on a 120-region heatmap.
const COUNT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });

/** A count: 12,345 (non-integers keep up to 3 decimals). */
export function fmtCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return COUNT.format(n);
}

/** A rate as a percentage: 2 decimals below 10 %, 1 decimal from 10 % (three significant figures). */
export function fmtPct(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const pct = v * 100;
  const digits = v !== 0 && Math.abs(v) < 0.1 ? 2 : 1;
  return signed(pct.toFixed(digits)) + '%';
}

/** A round scale edge (legend, axis ticks): 4%, 12.5%, 0.25% — no padding zeros. */
export function fmtEdge(v: number): string {
  return `${Number((v * 100).toPrecision(4))}%`;
}

/** A Wilson (or Newcombe) interval: 3.01%–8.91%. */
export function fmtInterval(low: number | null | undefined, high: number | null | undefined): string {
  if (low === null || low === undefined || high === null || high === undefined) return '—';
  return `${fmtPct(low)}–${fmtPct(high)}`;
}

/** A difference of two rates in percentage points, signed: +1.20 pp, −15.0 pp. */
export function fmtPp(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const pp = v * 100;
  const digits = v !== 0 && Math.abs(v) < 0.1 ? 2 : 1;
  const s = pp.toFixed(digits);
  return (pp > 0 ? '+' : '') + signed(s) + ' pp';
}

/** A p- or q-value: 0.012, or 4.0e-5 below 0.001. */
export function fmtP(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  if (p === 0) return '0';
  return p >= 0.001 ? p.toFixed(3) : p.toExponential(1).replace(/-/g, MINUS);
}

/** A test statistic or index (z, ECE, PSI): fixed decimals, proper minus sign. */
export function fmtStat(x: number | null | undefined, digits = 2): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return signed(x.toFixed(digits));
}

/** Arithmetic of the recommendations: up to 3 decimals, trailing zeros dropped. */
export function fmtNum(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return signed(String(Math.round(x * 1000) / 1000));
}

/** Raw value for a data- attribute: exact (shortest round-trip), '' for null. */
export const raw = (x: number | null | undefined): string => (x === null || x === undefined ? '' : String(x));
