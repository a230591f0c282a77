// Item diagnosis through the API (SPEC §4): every item-level rule, its precedence, the
// modality tie-break and "missing evidence never fires", read back with GET item; and item
// lookup across a slice spread over several item-store buckets.
import { describe, it, expect, beforeAll } from 'vitest';
import { api, submit } from '../helpers.ts';
import { expectError } from '../reference.ts';

const REGION = 'IT';
const MODEL = { id: 'avlm-items', version: '1', stage: 'sft' } as const;

type Row = [id: string, over: Record<string, unknown>, outcome: string, primary: string | null, secondary: string[]];
const fn = (over: Record<string, unknown> = {}) => ({ label: { violating: true }, prediction: { score: 0.1 }, ...over });
const fp = (over: Record<string, unknown> = {}) => ({ label: { violating: false }, prediction: { score: 0.9 }, ...over });
const v = (...xs: boolean[]) => xs.map((violating, i) => ({ annotator: `a${i}`, violating }));

// hate.slur (T 0.5) unless a policy is given.
const RULES: Row[] = [
  ['out-format', fn({ prediction: { score: 0.1, parse_ok: false } }), 'FN', 'OUT.FORMAT', ['OUT.FORMAT']],
  ['parse-ok-absent', fn({ prediction: { score: 0.1, parse_ok: true } }), 'FN', 'UNPROBED', ['UNPROBED']],
  ['adv', fn({ label: { violating: true, adversarial: true } }), 'FN', 'ADV.EVASION', ['ADV.EVASION']],
  ['lang-asr', fn({ label: { violating: true, evidence: ['audio'] }, signals: { asr_confidence: 0.3 }, probes: { audio_only: 0.1 } }), 'FN', 'LANG.ASR', ['LANG.ASR', 'PER.MISS.audio']],
  ['asr-at-limit', fn({ label: { violating: true, evidence: ['text'] }, signals: { asr_confidence: 0.5 } }), 'FN', 'UNPROBED', ['UNPROBED']],
  ['asr-visual-only', fn({ label: { violating: true, evidence: ['visual'] }, signals: { asr_confidence: 0.1 } }), 'FN', 'UNPROBED', ['UNPROBED']],
  ['per-miss-tie', fn({ label: { violating: true, evidence: ['visual', 'audio'] }, probes: { audio_only: 0.3, visual_only: 0.3 } }), 'FN', 'PER.MISS.audio', ['PER.MISS.audio']],
  ['per-miss-highest', fn({ label: { violating: true, evidence: ['audio', 'visual'] }, probes: { audio_only: 0.1, visual_only: 0.3 } }), 'FN', 'PER.MISS.visual', ['PER.MISS.visual']],
  ['per-miss-no-probe', fn({ label: { violating: true, evidence: ['text'] }, probes: { audio_only: 0.1 } }), 'FN', 'UNEXPLAINED', ['UNEXPLAINED']],
  ['fus-suppress', fn({ probes: { text_only: 0.8, visual_only: 0.6 } }), 'FN', 'FUS.SUPPRESS.text', ['FUS.SUPPRESS.text']],
  ['per-then-fus', fn({ label: { violating: true, evidence: ['audio'] }, probes: { audio_only: 0.2, visual_only: 0.9 } }), 'FN', 'PER.MISS.audio', ['PER.MISS.audio', 'FUS.SUPPRESS.visual']],
  ['shortcut', fp({ probes: { audio_only: 0.7, no_audio: 0.1 } }), 'FP', 'FUS.SHORTCUT.audio', ['FUS.SHORTCUT.audio']],
  ['shortcut-no-ablation', fp({ probes: { visual_only: 0.9 } }), 'FP', 'UNEXPLAINED', ['UNEXPLAINED']],
  ['pol-gap-fp', fp({ probes: { policy_context: 0.2 } }), 'FP', 'POL.GAP', ['POL.GAP']],
  ['pol-gap-fn', fn({ probes: { policy_context: 0.5 } }), 'FN', 'POL.GAP', ['POL.GAP']],
  ['pol-no-gap', fn({ probes: { policy_context: 0.3 } }), 'FN', 'UNEXPLAINED', ['UNEXPLAINED']],
  ['grd', fp({ prediction: { score: 0.9, grounded: false } }), 'FP', 'GRD.HALLUC', ['GRD.HALLUC']],
  ['thr-edge-low', fn({ prediction: { score: 0.4 } }), 'FN', 'THR.MARGIN', ['THR.MARGIN']],
  ['thr-edge-high', fp({ prediction: { score: 0.6 } }), 'FP', 'THR.MARGIN', ['THR.MARGIN']],
  ['thr-outside', fn({ prediction: { score: 0.39 } }), 'FN', 'UNPROBED', ['UNPROBED']],
  ['thr-minor', { policy: 'minor.safety', ...fn({ prediction: { score: 0.34 } }) }, 'FN', 'THR.MARGIN', ['THR.MARGIN']],
  ['at-threshold', { policy: 'minor.safety', ...fp({ prediction: { score: 0.35 } }) }, 'FP', 'THR.MARGIN', ['THR.MARGIN']],
  ['ambig-split', fn({ label: { violating: true, votes: v(true, true, false) } }), 'FN', 'LBL.AMBIG', ['LBL.AMBIG']],
  ['ambig-unanimous', fn({ label: { violating: true, votes: v(true, true, true) } }), 'FN', 'UNPROBED', ['UNPROBED']],
  ['ambig-two-votes', fn({ label: { violating: true, votes: v(false, false) } }), 'FN', 'UNPROBED', ['UNPROBED']],
  ['ambig-wins', fn({ label: { violating: true, votes: v(false, false, false, true) }, prediction: { score: 0.45, parse_ok: false, grounded: false } }), 'FN', 'LBL.AMBIG', ['LBL.AMBIG', 'OUT.FORMAT', 'GRD.HALLUC', 'THR.MARGIN']],
  ['tn-ungrounded', { label: { violating: false }, prediction: { score: 0.1, grounded: false, parse_ok: false } }, 'TN', null, []],
  ['tp', { label: { violating: true }, prediction: { score: 0.7 } }, 'TP', null, []],
];

const itemOf = ([id, over]: Row) => ({ item_id: id, surface: 'vod', policy: 'hate.slur', ...over });

describe('every item-level rule, read back through GET item', () => {
  let summary: any;
  beforeAll(async () => {
    const r = await submit(REGION, { slice_id: 'rules', model: MODEL, items: RULES.map(itemOf) });
    expect(r.status, JSON.stringify(r.data)).toBe(201);
    summary = r.data;
  });

  it('the summary counts the primaries', () => {
    const by: Record<string, number> = {};
    for (const [, , , primary] of RULES) if (primary) by[primary] = (by[primary] ?? 0) + 1;
    expect(summary.by_signature).toEqual(by);
    expect(summary.items).toBe(RULES.length);
    expect(summary.failures).toBe(RULES.filter((r) => r[3] !== null).length);
    expect(summary.excluded).toBe(2);
  });

  for (const row of RULES) {
    const [id, , outcome, primary, secondary] = row;
    it(`${id}: ${outcome} → ${primary ?? 'no signature'}`, async () => {
      const r = await api(`/v1/regions/${REGION}/slices/rules/items/${id}`);
      expect(r.status).toBe(200);
      expect(r.data.outcome).toBe(outcome);
      expect(r.data.primary).toBe(primary);
      expect(r.data.secondary.map((s: any) => s.code)).toEqual(secondary);
      expect(r.data.failure).toBe(primary !== null);
      expect(r.data.excluded).toBe(primary === 'LBL.AMBIG');
      for (const s of r.data.secondary) expect(Object.keys(s.evidence).length, s.code).toBeGreaterThan(0);
      expect(r.data.item).toEqual(itemOf(row));
    });
  }

  it('evidence carries the numbers that fired the rule', async () => {
    const get = async (id: string) => (await api(`/v1/regions/${REGION}/slices/rules/items/${id}`)).data.secondary;
    expect((await get('lang-asr'))[0].evidence).toEqual({ asr_confidence: 0.3, max_confidence: 0.5, label_evidence: ['audio'] });
    expect((await get('fus-suppress'))[0].evidence).toEqual({ modality: 'text', probe: 'text_only', score: 0.8, threshold: 0.5 });
    expect((await get('pol-gap-fp'))[0].evidence).toEqual({ probe: 'policy_context', score: 0.2, threshold: 0.5, label: false });
    expect((await get('per-miss-no-probe'))[0].evidence).toEqual({ probes_present: ['audio_only'] });
    expect((await get('thr-minor'))[0].evidence).toMatchObject({ score: 0.34, threshold: 0.35, distance: 0.01 });
    expect((await get('ambig-wins'))[0].evidence).toMatchObject({ votes: 4, violating_votes: 1, majority: false, majority_share: 0.75, label: true });
  });
});

describe('item lookup in a slice spread over several buckets', () => {
  it('finds every item of a ~150 KB slice and 404s the rest', async () => {
    const n = 600;
    const items = Array.from({ length: n }, (_, i) => ({
      item_id: `k-${i}`, surface: 'short', policy: 'spam.scam', label: { violating: i % 2 === 0 }, prediction: { score: (i % 100) / 100 },
      pad: 'z'.repeat(180),
    }));
    const r = await submit(REGION, { slice_id: 'many', model: MODEL, items });
    expect(r.status).toBe(201);
    expect(r.data.items).toBe(n);
    for (const i of [0, 1, 57, 298, 299, 300, 512, 599]) {
      const g = await api(`/v1/regions/${REGION}/slices/many/items/k-${i}`);
      expect(g.status, `k-${i}`).toBe(200);
      expect(g.data.item).toEqual(items[i]);
      const s = (i % 100) / 100;
      const violating = i % 2 === 0;
      const predicted = s >= 0.6;
      expect(g.data.outcome).toBe(predicted ? (violating ? 'TP' : 'FP') : violating ? 'FN' : 'TN');
    }
    expectError(await api(`/v1/regions/${REGION}/slices/many/items/k-600`), 404, 'not_found');
    expectError(await api(`/v1/regions/${REGION}/slices/many/items/K-1`), 404, 'not_found');
  });
});
