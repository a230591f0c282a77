/** @jsxImportSource hono/jsx */
// The signature breakdown as an inline SVG bar chart with Wilson-interval whiskers. Each bar
// carries its numbers three times: as visible text, as an accessible name (role="img" +
// aria-label, and a <title> tooltip), and raw in data- attributes for tests.
import type { RateOut } from '../services/rates.ts';
import { fmtCount, fmtEdge, fmtInterval, fmtPct, raw } from './format.ts';
import { niceMax } from './palette.ts';

/** `href`: where the count links to (its items), when set. */
export interface Bar { code: string; count: number; rate: RateOut; href?: string }

// Wide enough for the longest value label ("12,345 · 12.34% (10.12%–15.23%) · too few items",
// ~370 px at 13 px) right of the bars: at 800 it was clipped to "too few item".
const W = 960;
const LABEL_W = 200;
const BAR_W = 330;
const ROW_H = 30;
const TOP = 6;
const AXIS_H = 28;
const BAR_FILL = '#4a6fb5'; // 5:1 against white (graphics need 3:1)

function ticks(top: number): number[] {
  const mant = top / 10 ** Math.floor(Math.log10(top));
  const k = Math.abs(mant - 2) < 1e-9 ? 4 : 5;
  return Array.from({ length: k + 1 }, (_, i) => (top * i) / k);
}

export function barLabel(b: Bar): string {
  const r = b.rate;
  return `${b.code}: ${fmtCount(b.count)} failures, rate ${fmtPct(r.value)} (95% CI ${fmtInterval(r.low, r.high)}, n = ${fmtCount(r.n)})${r.too_few ? ', too few items to compare' : ''}`;
}

/** The bar's numbers right of it; the count links to its items when the bar has an href. */
function valueText(b: Bar, x: number, y: number) {
  const r = b.rate;
  const rest = ` · ${fmtPct(r.value)} (${fmtInterval(r.low, r.high)})${r.too_few ? ' · too few items' : ''}`;
  if (!b.href) return <text class="value" x={x} y={y} font-size="13" fill="#111">{fmtCount(b.count) + rest}</text>;
  return (
    <text class="value" x={x} y={y} font-size="13" fill="#111">
      <a href={b.href} class="items"><tspan fill="#0b5394" text-decoration="underline">{fmtCount(b.count)}</tspan></a>{rest}
    </text>
  );
}

export function SignatureChart({ bars, id, caption }: { bars: Bar[]; id: string; caption: string }) {
  if (!bars.length) return <p class="muted">No failures with a primary signature in this version.</p>;
  const top = niceMax(Math.max(...bars.map((b) => b.rate.high ?? b.rate.value ?? 0)));
  const x = (v: number | null) => LABEL_W + (Math.max(0, Math.min(v ?? 0, top)) / top) * BAR_W;
  const h = TOP + bars.length * ROW_H + AXIS_H;
  const axisY = TOP + bars.length * ROW_H;
  return (
    <figure>
      <figcaption id={`${id}-cap`}>{caption}</figcaption>
      <svg id={id} role="group" aria-labelledby={`${id}-cap`} viewBox={`0 0 ${W} ${h}`} width="100%" style={`max-width:${W}px;height:auto`} xmlns="http://www.w3.org/2000/svg">
        <defs>
          <pattern id={`${id}-hatch`} width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
            <rect width="6" height="6" fill="#ffffff" />
            <line x1="0" y1="0" x2="0" y2="6" stroke="#5a5a5a" stroke-width="3" />
          </pattern>
        </defs>
        <g aria-hidden="true">
          {ticks(top).map((t) => (
            <g>
              <line x1={x(t)} x2={x(t)} y1={TOP} y2={axisY} stroke="#d0d0d0" stroke-width="1" />
              <text x={x(t)} y={axisY + 18} font-size="12" text-anchor="middle" fill="#333">{fmtEdge(t)}</text>
            </g>
          ))}
          <line x1={LABEL_W} x2={LABEL_W + BAR_W} y1={axisY} y2={axisY} stroke="#555" stroke-width="1" />
        </g>
        {bars.map((b, i) => {
          const y = TOP + i * ROW_H;
          const mid = y + ROW_H / 2;
          const r = b.rate;
          const label = barLabel(b);
          return (
            <g role="img" aria-label={label} class="bar" data-code={b.code} data-count={raw(b.count)} data-value={raw(r.value)}
              data-low={raw(r.low)} data-high={raw(r.high)} data-n={raw(r.n)} data-too-few={String(r.too_few)}>
              <title>{label}</title>
              <text x={LABEL_W - 8} y={mid + 4} font-size="13" text-anchor="end" fill="#111">{b.code}</text>
              <rect x={LABEL_W} y={y + 7} width={Math.max(1, x(r.value) - LABEL_W)} height={ROW_H - 14}
                fill={r.too_few ? `url(#${id}-hatch)` : BAR_FILL} stroke={r.too_few ? '#5a5a5a' : 'none'} />
              {r.low !== null && r.high !== null ? (
                <g>
                  <line x1={x(r.low)} x2={x(r.high)} y1={mid} y2={mid} stroke="#ffffff" stroke-width="4" />
                  <line x1={x(r.low)} x2={x(r.high)} y1={mid} y2={mid} stroke="#111" stroke-width="1.5" />
                  <line x1={x(r.low)} x2={x(r.low)} y1={mid - 6} y2={mid + 6} stroke="#111" stroke-width="1.5" />
                  <line x1={x(r.high)} x2={x(r.high)} y1={mid - 6} y2={mid + 6} stroke="#111" stroke-width="1.5" />
                </g>
              ) : null}
              {valueText(b, LABEL_W + BAR_W + 12, mid + 4)}
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
