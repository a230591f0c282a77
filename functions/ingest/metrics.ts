// Which aggregate counters one diagnosed item increments. Pure: the same function adds an
// item at ingest and (with sign −1) removes its old diagnosis when a label changes.
import type { Diagnosis, EvalItem } from '../../taxonomy/types.ts';

/** Index of the equal-width score bin [i/10, (i+1)/10), the last bin closed (SPEC §9). */
export const scoreBin = (s: number) => Math.min(9, Math.max(0, Math.floor(s * 10)));

export function languageKey(tag: string | undefined): string {
  return tag ? tag.split('-')[0].toLowerCase() : 'und';
}

/** The GPU backend cannot score the item (it carries the reason, `probe_error`): counted in
 *  `unprobeable`. Without a prediction it has no outcome and stays `pending` too, so it never
 *  enters a rate's n (SPEC §9: n = items − excluded − pending). */
export const isUnprobeable = (item: EvalItem) => typeof item.probe_error === 'string';

/** Counter increments as [metric, delta] pairs. */
export function itemMetrics(item: EvalItem, d: Diagnosis): Array<[string, number]> {
  const m: Array<[string, number]> = [['items', 1], [`surface:${item.surface}`, 1], [`lang:${languageKey(item.language)}`, 1]];
  const score = item.prediction?.score;
  if (typeof score === 'number') m.push([`score:${scoreBin(score)}`, 1]);
  if (isUnprobeable(item)) m.push(['unprobeable', 1]);
  if (d.outcome === 'pending') {
    m.push(['pending', 1]);
    return m;
  }
  m.push([d.outcome.toLowerCase(), 1]);
  if (d.failure) {
    m.push(['failures', 1]);
    if (d.excluded) m.push(['excluded', 1]);
    if (d.primary) m.push([`sig:${d.primary}`, 1]);
    for (const s of d.secondary) m.push([`sec:${s.code}`, 1]);
  }
  // Calibration table (ECE) over labelled items not excluded.
  if (!d.excluded && typeof score === 'number') {
    const b = scoreBin(score);
    m.push([`cal:n:${b}`, 1], [`cal:s:${b}`, score]);
    if (item.label?.violating) m.push([`cal:y:${b}`, 1]);
  }
  return m;
}

// Metric keys, built once: the ingest loop adds ~10 counters per item, and a template
// string per counter (a new string to flatten and hash each time) cost more than the adding.
const binKeys = (prefix: string) => Array.from({ length: 10 }, (_, b) => `${prefix}${b}`);
const SCORE_KEYS = binKeys('score:');
const CAL_N_KEYS = binKeys('cal:n:');
const CAL_S_KEYS = binKeys('cal:s:');
const CAL_Y_KEYS = binKeys('cal:y:');
const KEY_CACHE_MAX = 4096; // per prefix: unbounded input (language tags) must not grow it forever

function keyCache(prefix: string, suffixOf: (s: string) => string = (s) => s): (s: string) => string {
  const cache = new Map<string, string>();
  return (s) => {
    let k = cache.get(s);
    if (k === undefined) {
      k = prefix + suffixOf(s);
      if (cache.size < KEY_CACHE_MAX) cache.set(s, k);
    }
    return k;
  };
}
const surfaceKey = keyCache('surface:');
const langKey = keyCache('lang:', languageKey);
const LANG_UND = 'lang:und';
const outcomeKey = keyCache('', (o) => o.toLowerCase());
const sigKey = keyCache('sig:');
const secKey = keyCache('sec:');

const bump = (cell: Map<string, number>, k: string, v: number) => { cell.set(k, (cell.get(k) ?? 0) + v); };

/** Accumulates counter deltas per policy in memory; written once, at commit. */
export class AggregateDelta {
  readonly cells = new Map<string, Map<string, number>>();

  /** Same as add(policy, itemMetrics(item, d), sign), without building the pairs: the
   *  counters are added in the same order, so rows() comes out the same. */
  addItem(policy: string, item: EvalItem, d: Diagnosis, sign = 1): void {
    let cell = this.cells.get(policy);
    if (!cell) this.cells.set(policy, (cell = new Map()));
    bump(cell, 'items', sign);
    bump(cell, surfaceKey(item.surface), sign);
    bump(cell, item.language ? langKey(item.language) : LANG_UND, sign);
    const score = item.prediction?.score;
    const scored = typeof score === 'number';
    const bin = scored ? scoreBin(score) : 0;
    if (scored) bump(cell, SCORE_KEYS[bin], sign);
    if (isUnprobeable(item)) bump(cell, 'unprobeable', sign);
    if (d.outcome === 'pending') {
      bump(cell, 'pending', sign);
      return;
    }
    bump(cell, outcomeKey(d.outcome), sign);
    if (d.failure) {
      bump(cell, 'failures', sign);
      if (d.excluded) bump(cell, 'excluded', sign);
      if (d.primary) bump(cell, sigKey(d.primary), sign);
      const sec = d.secondary;
      for (let i = 0; i < sec.length; i++) bump(cell, secKey(sec[i].code), sign);
    }
    if (!d.excluded && scored) {
      bump(cell, CAL_N_KEYS[bin], sign);
      bump(cell, CAL_S_KEYS[bin], sign * score);
      if (item.label?.violating) bump(cell, CAL_Y_KEYS[bin], sign);
    }
  }

  add(policy: string, metrics: Array<[string, number]>, sign = 1): void {
    let cell = this.cells.get(policy);
    if (!cell) this.cells.set(policy, (cell = new Map()));
    for (const [k, v] of metrics) cell.set(k, (cell.get(k) ?? 0) + sign * v);
  }

  get(policy: string, metric: string): number {
    return this.cells.get(policy)?.get(metric) ?? 0;
  }

  /** Totals over policies for one metric prefix, e.g. 'sig:' → {CODE: n}. */
  totals(prefix: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const cell of this.cells.values()) {
      for (const [k, v] of cell) if (k.startsWith(prefix) && v !== 0) out[k.slice(prefix.length)] = (out[k.slice(prefix.length)] ?? 0) + v;
    }
    return out;
  }

  sum(metric: string): number {
    let s = 0;
    for (const cell of this.cells.values()) s += cell.get(metric) ?? 0;
    return s;
  }

  rows(): Array<{ policy: string; metric: string; value: number }> {
    const out: Array<{ policy: string; metric: string; value: number }> = [];
    for (const [policy, cell] of this.cells) for (const [metric, value] of cell) if (value !== 0) out.push({ policy, metric, value });
    return out;
  }
}
