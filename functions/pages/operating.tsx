/** @jsxImportSource hono/jsx */
// The region page's operating points (SPEC §12): precision, recall, FPR and FNR per policy
// against the predecessor version, a cost curve per policy drawn on the server as inline SVG
// (the threshold now and the recommended one marked; no scripts), and time to detect. Numbers
// are the scorecard's (services/operating.ts), carried as text, aria-label and data- attributes.
import type { OperatingPoint, OperatingRate, TimeToDetect } from '../../taxonomy/operating/index.ts';
import type { CostCurve, ThresholdOut } from '../services/operating.ts';
import { fmtCount, fmtInterval, fmtNum, fmtPct, raw } from './format.ts';

type Point = OperatingPoint & { policy: string };

export interface OperatingProps {
  region: string;
  version: string;
  points: Point[];
  /** The compared version's operating points: the predecessor, or the version chosen to compare with (null: none). */
  previous: { version: string; points: Point[] } | null;
  thresholds: ThresholdOut[];
  curves: CostCurve[];
  times: Array<TimeToDetect & { policy: string }>;
}

const RATES = ['precision', 'recall', 'fpr', 'fnr'] as const;
const RATE_NAME = { precision: 'Precision', recall: 'Recall', fpr: 'FPR', fnr: 'FNR' } as const;

function RateCell({ r }: { r: OperatingRate }) {
  if (!r) return <td class="num">—</td>;
  return (
    <td class="num">{fmtPct(r.value)}<span class="sub">{fmtInterval(r.low, r.high)}</span>{r.too_few ? <> <span class="tag">too few</span></> : null}</td>
  );
}

function PointRow({ p, version, current }: { p: Point; version: string; current: boolean }) {
  const attrs = Object.fromEntries(RATES.flatMap((k) => [[`data-${k}`, raw(p[k]?.value)], [`data-${k}-low`, raw(p[k]?.low)], [`data-${k}-high`, raw(p[k]?.high)]]));
  return (
    <tr data-policy={p.policy} data-version={version} data-tp={raw(p.tp)} data-fp={raw(p.fp)} data-tn={raw(p.tn)} data-fn={raw(p.fn)} {...attrs} class={current ? '' : 'muted'}>
      <th scope="row">{current ? (p.policy === '*' ? 'all policies (*)' : <code>{p.policy}</code>) : ''}</th>
      <td>{version}</td>
      <td class="num">{fmtCount(p.tp)}</td><td class="num">{fmtCount(p.fp)}</td><td class="num">{fmtCount(p.tn)}</td><td class="num">{fmtCount(p.fn)}</td>
      {RATES.map((k) => <RateCell r={p[k]} />)}
    </tr>
  );
}

function PointsTable({ p }: { p: OperatingProps }) {
  const before = new Map((p.previous?.points ?? []).map((x) => [x.policy, x]));
  return (
    <table id="operating-points">
      <caption>Per policy over the items with an outcome, LBL.AMBIG excluded; 95% Wilson intervals{p.previous ? `; each policy against ${p.previous.version}` : ''}</caption>
      <thead>
        <tr>
          <th scope="col">Policy</th><th scope="col">Version</th>
          <th scope="col" class="num">TP</th><th scope="col" class="num">FP</th><th scope="col" class="num">TN</th><th scope="col" class="num">FN</th>
          {RATES.map((k) => <th scope="col" class="num">{RATE_NAME[k]}</th>)}
        </tr>
      </thead>
      <tbody>
        {p.points.map((x) => {
          const b = before.get(x.policy);
          return <><PointRow p={x} version={p.version} current />{b ? <PointRow p={b} version={p.previous!.version} current={false} /> : null}</>;
        })}
      </tbody>
    </table>
  );
}

const W = 800;
const H = 240;
const PAD = { left: 64, right: 24, top: 14, bottom: 40 };
const LINE = '#4a6fb5';
const NOW = '#5a5a5a';
const BEST = '#b35806'; // 4.6:1 against white

/** A round upper bound for the cost axis. */
function niceCost(max: number): number {
  if (!(max > 0)) return 1;
  const exp = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 2.5, 5, 10].map((m) => m * exp).find((v) => v >= max)!;
}

const signed = (n: number) => (n < 0 ? `−${-n}` : `+${n}`);

/** "set hate.slur to 0.26: −28 FN, +54 FP; cost 140 → 82" */
export function recommendationText(t: ThresholdOut): string {
  return `set ${t.policy} to ${t.threshold.toFixed(2)}: ${signed(t.fn.then - t.fn.now)} FN, ${signed(t.fp.then - t.fp.now)} FP; cost ${fmtNum(t.cost.now)} → ${fmtNum(t.cost.then)}`;
}

export function CostChart({ c, t, id }: { c: CostCurve; t: ThresholdOut | undefined; id: string }) {
  const top = niceCost(Math.max(c.cost_now, ...c.curve.map((p) => p.cost)));
  const x = (v: number) => PAD.left + v * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  const caption = `${c.policy}: cost (severity ${fmtNum(c.severity)} × FN + 1 × FP) against the threshold; now ${c.threshold_now.toFixed(2)} at cost ${fmtNum(c.cost_now)}`
    + (t ? `; recommended ${recommendationText(t)}` : '; no threshold costs less (or n < 200)');
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return (
    <figure>
      <figcaption id={`${id}-cap`}>{caption}</figcaption>
      <svg id={id} class="cost-curve" role="img" aria-labelledby={`${id}-cap`} viewBox={`0 0 ${W} ${H}`} width="100%" style={`max-width:${W}px;height:auto`}
        xmlns="http://www.w3.org/2000/svg" data-policy={c.policy} data-threshold-now={raw(c.threshold_now)} data-cost-now={raw(c.cost_now)}
        data-threshold={raw(t?.threshold)} data-cost-then={raw(t?.cost.then)} data-costs={c.curve.map((p) => p.cost).join(' ')}>
        <g aria-hidden="true">
          {ticks.map((v) => <g>
            <line x1={x(0)} x2={x(1)} y1={y(top * v)} y2={y(top * v)} stroke="#e0e0e0" stroke-width="1" />
            <text x={PAD.left - 6} y={y(top * v) + 4} font-size="12" text-anchor="end" fill="#333">{fmtCount(top * v)}</text>
            <text x={x(v)} y={H - PAD.bottom + 18} font-size="12" text-anchor="middle" fill="#333">{v.toFixed(2)}</text>
          </g>)}
          <text x={x(0.5)} y={H - 4} font-size="12" text-anchor="middle" fill="#333">threshold</text>
          <line x1={x(0)} x2={x(1)} y1={y(0)} y2={y(0)} stroke="#555" stroke-width="1" />
          <polyline class="curve" fill="none" stroke={LINE} stroke-width="2" points={c.curve.map((p) => `${x(p.threshold).toFixed(1)},${y(p.cost).toFixed(1)}`).join(' ')} />
        </g>
        <g class="now" data-threshold={raw(c.threshold_now)} data-cost={raw(c.cost_now)}>
          <title>{`now: threshold ${c.threshold_now.toFixed(2)}, cost ${fmtNum(c.cost_now)}`}</title>
          <line x1={x(c.threshold_now)} x2={x(c.threshold_now)} y1={y(top)} y2={y(0)} stroke={NOW} stroke-width="1.5" stroke-dasharray="4 3" />
          <circle cx={x(c.threshold_now)} cy={y(c.cost_now)} r="5" fill="#ffffff" stroke={NOW} stroke-width="2" />
          <text x={x(c.threshold_now) + 6} y={y(top) + 12} font-size="12" fill="#111">now</text>
        </g>
        {t ? (
          <g class="recommended" data-threshold={raw(t.threshold)} data-cost={raw(t.cost.then)}>
            <title>{`recommended: threshold ${t.threshold.toFixed(2)}, cost ${fmtNum(t.cost.then)}`}</title>
            <line x1={x(t.threshold)} x2={x(t.threshold)} y1={y(top)} y2={y(0)} stroke={BEST} stroke-width="1.5" />
            <circle cx={x(t.threshold)} cy={y(t.cost.then)} r="5" fill={BEST} />
            <text x={x(t.threshold) + 6} y={y(top) + 26} font-size="12" fill="#111">recommended</text>
          </g>
        ) : null}
      </svg>
    </figure>
  );
}

function TimesTable({ times }: { times: OperatingProps['times'] }) {
  if (!times.length) return <p class="muted" id="time-to-detect-none">No live true positive with onset_ms and flag_ms in this version.</p>;
  return (
    <table id="time-to-detect">
      <caption>Time to detect, live true positives: flag_ms − onset_ms, nearest-rank percentiles</caption>
      <thead>
        <tr><th scope="col">Policy</th><th scope="col" class="num">n</th><th scope="col" class="num">p50</th><th scope="col" class="num">p90</th><th scope="col" class="num">p99</th><th scope="col" class="num">within 30 s</th></tr>
      </thead>
      <tbody>
        {times.map((t) => (
          <tr data-policy={t.policy} data-n={raw(t.n)} data-p50={raw(t.p50)} data-p90={raw(t.p90)} data-p99={raw(t.p99)} data-within-30s={raw(t.within_30s)}>
            <th scope="row"><code>{t.policy}</code></th>
            <td class="num">{fmtCount(t.n)}</td>
            <td class="num">{fmtSeconds(t.p50)}</td><td class="num">{fmtSeconds(t.p90)}</td><td class="num">{fmtSeconds(t.p99)}</td>
            <td class="num">{fmtPct(t.within_30s)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const fmtSeconds = (ms: number) => `${fmtCount(ms / 1000)} s`;

export function OperatingSection(p: OperatingProps) {
  const byPolicy = new Map(p.thresholds.map((t) => [t.policy, t]));
  return (
    <section aria-labelledby="operating-h">
      <h2 id="operating-h">Operating points</h2>
      <PointsTable p={p} />
      <h3>Threshold: cost against threshold</h3>
      <p class="small">Cost = severity × FN + 1 × FP at each threshold k/100 (an item counts as flagged when floor(score × 100) ≥ k); the cheapest is
        recommended when it costs less than the items' outcomes now (n ≥ 200).</p>
      {p.curves.length ? p.curves.map((c) => <CostChart c={c} t={byPolicy.get(c.policy)} id={`cost-${c.policy.replace(/[^a-z0-9]+/gi, '-')}`} />)
        : <p class="muted" id="cost-none">No scored item with an outcome in this version.</p>}
      <h3>Time to detect (live)</h3>
      <TimesTable times={p.times} />
    </section>
  );
}
