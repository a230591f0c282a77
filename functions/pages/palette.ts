// The heatmap's sequential colour scale (light → dark), with the text colour for each step
// chosen so every cell's number keeps a contrast of at least 4.5:1 (WCAG AA). Colour is never
// the only carrier: every cell also shows its number.

/** Step 0 is an exact zero; steps 1..5 split (0, max] into five equal bins. */
export const STEPS: ReadonlyArray<{ bg: string; fg: string }> = [
  { bg: '#fff7ec', fg: '#111111' },
  { bg: '#fdd49e', fg: '#111111' },
  { bg: '#fdbb84', fg: '#111111' },
  { bg: '#fc8d59', fg: '#111111' },
  { bg: '#d7301f', fg: '#ffffff' },
  { bg: '#990000', fg: '#ffffff' },
];

const BINS = STEPS.length - 1;

/** The smallest "nice" upper bound ≥ max (so the legend's bin edges are round numbers). */
export function niceMax(max: number): number {
  if (!(max > 0)) return 0.05;
  const exp = Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) {
    const v = m * 10 ** exp;
    if (v >= max - 1e-15) return Math.min(1, Number(v.toPrecision(12)));
  }
  return 1;
}

/** Step index of a rate on a scale whose top is `top`. */
export function stepOf(value: number, top: number): number {
  if (!(value > 0)) return 0;
  return Math.min(BINS, Math.max(1, Math.ceil((value / top) * BINS - 1e-9)));
}

const round = (x: number) => Number(x.toPrecision(12));

/** The legend: one entry per step with its range. */
export function legend(top: number): Array<{ step: number; low: number; high: number }> {
  return STEPS.map((_, step) => step === 0
    ? { step, low: 0, high: 0 }
    : { step, low: round((top * (step - 1)) / BINS), high: round((top * step) / BINS) });
}

/** WCAG 2 relative luminance of #rrggbb. */
export function luminance(hex: string): number {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

export function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}
