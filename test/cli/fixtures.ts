// Deterministic eval items and the same items written as NDJSON, CSV (dotted headers) and
// Parquet (flat dotted columns), for the CLI tests and the bench.
import { writeFileSync } from 'node:fs';
import { parquetWriteBuffer } from 'hyparquet-writer';

export interface Item {
  item_id: string; surface: string; language: string; policy: string;
  label?: { violating: boolean; votes?: { annotator: string; violating: boolean }[]; evidence?: string[] };
  prediction: { score: number };
  probes: { audio_only: number; visual_only?: number };
  live?: { stream_id: string; segment: number };
  attributes?: { creator_tier: string };
}

const POLICIES = ['hate.slur', 'violence.graphic', 'spam.scam', 'adult.nudity'];

/** A small LCG: the same items for the same seed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}
const round = (x: number) => Math.round(x * 1000) / 1000;

/** n items: labelled or pending, with probes (no GPU backend in tests), some live, some voted. */
export function makeItems(n: number, seed = 7): Item[] {
  const r = rng(seed);
  const items: Item[] = [];
  for (let i = 0; i < n; i++) {
    const live = r() < 0.3;
    const violating = r() < 0.4;
    const it: Item = {
      item_id: `it-${i}`, surface: live ? 'live' : 'vod', language: r() < 0.5 ? 'pt-BR' : 'es', policy: POLICIES[i % POLICIES.length],
      prediction: { score: round(violating ? 0.3 + 0.7 * r() : 0.7 * r()) },
      probes: { audio_only: round(r()), ...(r() < 0.5 ? { visual_only: round(r()) } : {}) },
    };
    if (r() < 0.9) {
      it.label = { violating };
      if (r() < 0.1) it.label.votes = [{ annotator: 'a1', violating }, { annotator: 'a2', violating: !violating }];
      if (violating && r() < 0.5) it.label.evidence = r() < 0.5 ? ['audio'] : ['audio', 'visual'];
    }
    if (live) it.live = { stream_id: `s-${i % 17}`, segment: Math.floor(i / 17) };
    if (r() < 0.5) it.attributes = { creator_tier: r() < 0.5 ? 'gold' : 'new' };
    items.push(it);
  }
  return items;
}

export const COLUMNS = ['item_id', 'surface', 'language', 'policy', 'label.violating', 'label.votes', 'label.evidence', 'prediction.score',
  'probes.audio_only', 'probes.visual_only', 'live.stream_id', 'live.segment', 'attributes.creator_tier'] as const;

/** An item's value for a dotted column (undefined when absent). */
export function cell(it: Item, column: string): unknown {
  let v: any = it;
  for (const k of column.split('.')) v = v?.[k];
  return v;
}

export function writeNdjson(file: string, items: Item[]) {
  writeFileSync(file, items.map((it) => `${JSON.stringify(it)}\n`).join(''));
}

const csvCell = (v: unknown) => {
  if (v === undefined) return '';
  const s = column_text(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
const column_text = (v: unknown) => (Array.isArray(v) ? (typeof v[0] === 'object' ? JSON.stringify(v) : v.join('|')) : String(v));

export function writeCsv(file: string, items: Item[]) {
  const lines = [COLUMNS.join(','), ...items.map((it) => COLUMNS.map((c) => csvCell(cell(it, c))).join(','))];
  writeFileSync(file, `${lines.join('\n')}\n`);
}

/** Flat dotted columns, typed; JSON and list columns as JSON text; several row groups. */
export function writeParquet(file: string, items: Item[], rowGroupSize = 1000) {
  const col = (name: string, type: 'STRING' | 'DOUBLE' | 'INT32' | 'BOOLEAN', f: (it: Item) => unknown) =>
    ({ name, type, nullable: true, data: items.map((it) => f(it) ?? null) });
  const json = (c: string) => (it: Item) => { const v = cell(it, c); return v === undefined ? undefined : JSON.stringify(v); };
  const columnData = [
    col('item_id', 'STRING', (it) => it.item_id), col('surface', 'STRING', (it) => it.surface), col('language', 'STRING', (it) => it.language),
    col('policy', 'STRING', (it) => it.policy), col('label.violating', 'BOOLEAN', (it) => it.label?.violating),
    col('label.votes', 'STRING', json('label.votes')), col('label.evidence', 'STRING', json('label.evidence')),
    col('prediction.score', 'DOUBLE', (it) => it.prediction.score), col('probes.audio_only', 'DOUBLE', (it) => it.probes.audio_only),
    col('probes.visual_only', 'DOUBLE', (it) => it.probes.visual_only), col('live.stream_id', 'STRING', (it) => it.live?.stream_id),
    col('live.segment', 'INT32', (it) => it.live?.segment), col('attributes.creator_tier', 'STRING', (it) => it.attributes?.creator_tier),
  ];
  writeFileSync(file, Buffer.from(parquetWriteBuffer({ columnData: columnData as any, rowGroupSize })));
}
