// A small world for the operating-point tests (SPEC §12) and the expected values recomputed
// from its items alone: outcomes by hand, the cost at every grid threshold and its argmin by
// brute force, nearest-rank percentiles by sorting.
import { item } from './helpers.ts';
import { policyByCode } from '../../taxonomy/policies.ts';

export type W = { item_id: string; policy: string; score?: number; threshold?: number; violating: boolean; ambiguous?: boolean; onset?: number; flag?: number };

/** mulberry32: a seeded generator so the world is the same on every run. */
export function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// hate.slur (severity 4, default 0.5): violations score from 0.25 up, so 0.5 misses many and a
// lower threshold costs less. spam.scam: every item decided at its own 0.7. minor.safety: 12
// items (too_few). Three hate.slur FPs carry split votes (LBL.AMBIG: excluded). Live TPs carry
// onset/flag, one of them fractional, some beyond 30 s.
export function world(seed = 16): W[] {
  const r = rng(seed);
  const out: W[] = [];
  for (let i = 0; i < 240; i++) {
    const violating = r() < 0.45;
    const score = violating ? 0.25 + r() * 0.75 : r() * 0.6;
    out.push({ item_id: `h${i}`, policy: 'hate.slur', score: Math.round(score * 1000) / 1000, violating });
  }
  // Scores written exactly on the grid: 0.43 is 0.42999… in binary and must count at k = 43.
  for (let i = 0; i < 6; i++) out.push({ item_id: `g${i}`, policy: 'hate.slur', score: [0.43, 0.29, 0.57, 0.01, 0.99, 1][i], violating: i % 2 === 0 });
  for (let i = 0; i < 3; i++) out.push({ item_id: `amb${i}`, policy: 'hate.slur', score: 0.93, violating: false, ambiguous: true });
  for (let i = 0; i < 210; i++) {
    const violating = r() < 0.3;
    out.push({ item_id: `s${i}`, policy: 'spam.scam', score: Math.round((violating ? 0.4 + r() * 0.6 : r() * 0.8) * 100) / 100, threshold: 0.7, violating });
  }
  for (let i = 0; i < 12; i++) out.push({ item_id: `m${i}`, policy: 'minor.safety', score: Math.round(r() * 100) / 100, violating: r() < 0.5 });
  const delays = [1200, 4000, 4000, 9000, 15000, 29999, 30000, 30001, 61000, 1234.5, 800, 2500];
  delays.forEach((d, i) => out.push({ item_id: `live${i}`, policy: 'hate.slur', score: 0.95, violating: true, onset: i === 9 ? 0.25 : 10_000 * i, flag: (i === 9 ? 0.25 : 10_000 * i) + d }));
  // A live FN and a live TN: not detected, so no delay.
  out.push({ item_id: 'liveFN', policy: 'hate.slur', score: 0.1, violating: true, onset: 0, flag: 500 });
  return out;
}

export function toItem(w: W) {
  const live = w.onset !== undefined;
  return item(w.item_id, {
    policy: w.policy,
    surface: live ? 'live' : 'vod',
    label: w.ambiguous
      ? { violating: w.violating, votes: [{ annotator: 'a', violating: true }, { annotator: 'b', violating: true }, { annotator: 'c', violating: false }] }
      : { violating: w.violating },
    prediction: w.score === undefined ? undefined : { score: w.score, ...(w.threshold !== undefined ? { threshold: w.threshold } : {}) },
    ...(live ? { live: { stream_id: `st-${w.item_id}`, segment: 1, onset_ms: w.onset, flag_ms: w.flag } } : {}),
  });
}

// ---- the expected values, from the items alone ----------------------------------------------
export const T = (w: W) => w.threshold ?? policyByCode(w.policy)!.threshold;
export const outcome = (w: W) => (w.score! >= T(w) ? (w.violating ? 'tp' : 'fp') : (w.violating ? 'fn' : 'tn'));
export const counted = (ws: W[]) => ws.filter((w) => w.score !== undefined && !(w.ambiguous && (outcome(w) === 'fp' || outcome(w) === 'fn')));

export function confusion(ws: W[]) {
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (const w of counted(ws)) c[outcome(w)]++;
  return c;
}

/** FP, FN and cost (severity · FN + FP) at every k = 1…99, counted over the items. */
export function gridCosts(ws: W[], policy: string) {
  const items = counted(ws).filter((w) => w.policy === policy);
  const severity = policyByCode(policy)!.severity;
  const out = [];
  for (let k = 1; k <= 99; k++) {
    let fp = 0; let fn = 0;
    for (const w of items) {
      const flagged = Math.floor(w.score! * 100 + 1e-9) >= k;
      if (flagged && !w.violating) fp++;
      if (!flagged && w.violating) fn++;
    }
    out.push({ k, fp, fn, cost: severity * fn + fp });
  }
  return out;
}

/** Brute force over the items: at each k, predicted violating ⇔ floor(score·100 + 1e-9) ≥ k. */
export function bestThreshold(ws: W[], policy: string) {
  const items = counted(ws).filter((w) => w.policy === policy);
  const def = policyByCode(policy)!;
  const ts = new Set(items.map(T));
  const now = confusion(items);
  let best: { k: number; fp: number; fn: number; cost: number } | null = null;
  for (const { k, fp, fn, cost } of gridCosts(ws, policy)) {
    const nearer = best && Math.abs(k / 100 - def.threshold) < Math.abs(best.k / 100 - def.threshold) - 1e-12;
    if (!best || cost < best.cost || (cost === best.cost && nearer)) best = { k, fp, fn, cost };
  }
  const costNow = def.severity * now.fn + now.fp;
  return {
    n: items.length, best: best!, costNow,
    expected: {
      policy, threshold_now: ts.size === 1 ? [...ts][0] : def.threshold, threshold: best!.k / 100,
      fp: { now: now.fp, then: best!.fp }, fn: { now: now.fn, then: best!.fn }, cost: { now: costNow, then: best!.cost },
    },
  };
}

/** policy '*': every policy pooled. */
export function detectTimes(ws: W[], policy: string) {
  const d = ws.filter((w) => (policy === '*' || w.policy === policy) && w.onset !== undefined && outcome(w) === 'tp').map((w) => w.flag! - w.onset!).sort((a, b) => a - b);
  const at = (p: number) => d[Math.ceil(p * d.length) - 1];
  return { policy, n: d.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), within_30s: d.filter((x) => x <= 30_000).length / d.length };
}
