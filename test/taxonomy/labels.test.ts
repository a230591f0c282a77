import { describe, it, expect } from 'vitest';
import { applyConsensusLabel, applyLabelEvents, majorityLabel, posteriorOfLabel, type LabelEvent } from '../../taxonomy/labels.ts';
import { diagnoseItem } from '../../taxonomy/diagnose.ts';
import type { EvalItem } from '../../taxonomy/types.ts';

const T0 = '2026-11-01T00:00:00.000Z';
const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();

function item(label?: EvalItem['label'], score = 0.1): EvalItem {
  return { item_id: 'x', surface: 'vod', policy: 'hate.slur', ...(label ? { label } : {}), prediction: { score } };
}
const vote = (annotator: string, violating: boolean, s = 0, extra: Partial<LabelEvent> = {}): LabelEvent =>
  ({ annotator, violating, labelled_at: at(s), vendor: 'acme', ...extra });
const adjudicate = (violating: boolean, s = 0, extra: Partial<LabelEvent> = {}): LabelEvent =>
  ({ violating, labelled_at: at(s), vendor: 'acme', ...extra });

describe('majorityLabel', () => {
  it('takes the majority, and a tie keeps the current label', () => {
    const v = (a: string, x: boolean) => ({ annotator: a, violating: x });
    expect(majorityLabel([v('a', true), v('b', true), v('c', false)], false)).toBe(true);
    expect(majorityLabel([v('a', true), v('b', false)], false)).toBe(false);
    expect(majorityLabel([v('a', true), v('b', false)], true)).toBe(true);
    expect(majorityLabel([v('a', true), v('b', false)], undefined)).toBeUndefined();
    expect(majorityLabel([], true)).toBe(true);
  });
});

describe('applyLabelEvents: votes', () => {
  it('an unlabelled item takes its first vote; later votes move it by majority, ties keep it', () => {
    let r = applyLabelEvents(item(), [vote('a', true, 1)]);
    expect(r).toMatchObject({ labelChanged: true, votesChanged: true, changed: true });
    expect(r.item.label).toMatchObject({ violating: true, source: 'acme', votes: [{ annotator: 'a', violating: true, vendor: 'acme', labelled_at: at(1) }] });
    r = applyLabelEvents(r.item, [vote('b', false, 2)]); // 1:1 → keeps true
    expect(r.item.label!.violating).toBe(true);
    expect(r.labelChanged).toBe(false);
    expect(r.votesChanged).toBe(true);
    r = applyLabelEvents(r.item, [vote('c', false, 3)]); // 1:2 → false
    expect(r.item.label!.violating).toBe(false);
    expect(r.labelChanged).toBe(true);
    expect(r.item.label!.votes).toHaveLength(3);
  });

  it('merges with the votes that came with the submission; the label it had breaks ties', () => {
    const base = item({ violating: true, source: 'internal', votes: [{ annotator: 'x', violating: true }, { annotator: 'y', violating: false }] });
    const r = applyLabelEvents(base, [vote('z', false, 1), vote('w', true, 2)]); // 2:2 → keeps true
    expect(r.item.label!.votes!.map((v) => v.annotator)).toEqual(['x', 'y', 'z', 'w']);
    expect(r.item.label!.violating).toBe(true);
    expect(r.item.label!.source).toBe('internal');
    // the input item is untouched
    expect(base.label!.votes).toHaveLength(2);
  });

  it('a re-vote by the same annotator replaces theirs; an older re-vote is ignored', () => {
    let r = applyLabelEvents(item({ violating: false }), [vote('a', true, 10), vote('b', true, 10), vote('c', false, 10)]);
    expect(r.item.label!.violating).toBe(true);
    r = applyLabelEvents(r.item, [vote('a', false, 20)]); // a changes their mind: 1:2 → false
    expect(r.item.label!.votes).toHaveLength(3);
    expect(r.item.label!.violating).toBe(false);
    const stale = applyLabelEvents(r.item, [vote('a', true, 5)]);
    expect(stale.changed).toBe(false);
    expect(stale.item).toBe(r.item);
    // the same vote again (a replay under another delivery id) changes nothing either
    expect(applyLabelEvents(r.item, [vote('a', false, 20)]).changed).toBe(false);
  });

  it('vote evidence fills the label only when it has none, from votes agreeing with it', () => {
    const r = applyLabelEvents(item(), [vote('a', true, 1, { evidence: ['text', 'audio'], adversarial: true }), vote('b', true, 2, { evidence: ['visual'] })]);
    expect(r.item.label!.evidence).toEqual(['audio', 'visual', 'text']);
    expect(r.item.label!.adversarial).toBe(true);
    const kept = applyLabelEvents(item({ violating: true, evidence: ['audio'] }), [vote('a', true, 1, { evidence: ['visual'] })]);
    expect(kept.item.label!.evidence).toEqual(['audio']);
  });
});

describe('applyLabelEvents: adjudication', () => {
  it('replaces the label outright (evidence, adversarial if given); votes stay', () => {
    const voted = applyLabelEvents(item({ violating: true, evidence: ['audio'] }), [vote('a', true, 1), vote('b', true, 2), vote('c', true, 3)]).item;
    const r = applyLabelEvents(voted, [adjudicate(false, 4, { evidence: ['visual'] })]);
    expect(r).toMatchObject({ labelChanged: true, votesChanged: false });
    expect(r.item.label).toMatchObject({ violating: false, adjudicated: true, source: 'acme', evidence: ['visual'], labelled_at: at(4) });
    expect(r.item.label!.votes).toHaveLength(3);
    const keep = applyLabelEvents(voted, [adjudicate(false, 4)]);
    expect(keep.item.label!.evidence).toEqual(['audio']);
  });

  it('later votes no longer move an adjudicated label; an older adjudication is ignored', () => {
    let r = applyLabelEvents(item({ violating: true }), [adjudicate(false, 10)]);
    r = applyLabelEvents(r.item, [vote('a', true, 11), vote('b', true, 12), vote('c', false, 13)]);
    expect(r.item.label!.violating).toBe(false);
    expect(r.votesChanged).toBe(true);
    expect(applyLabelEvents(r.item, [adjudicate(true, 5)]).changed).toBe(false);
    expect(applyLabelEvents(r.item, [adjudicate(true, 20)]).item.label!.violating).toBe(true);
  });

  it('2:1 votes against an adjudicated label make a failure LBL.AMBIG', () => {
    // adjudicated not violating, model says 0.9: FP; raters 2:1 say violating
    const r = applyLabelEvents(item(undefined, 0.9), [adjudicate(false, 1), vote('a', true, 2), vote('b', true, 3), vote('c', false, 4)]);
    const d = diagnoseItem(r.item, { threshold: 0.5 });
    expect(d).toMatchObject({ outcome: 'FP', primary: 'LBL.AMBIG', excluded: true });
  });
});

describe('applyConsensusLabel / posteriorOfLabel', () => {
  const voted = applyLabelEvents(item({ violating: false }), [vote('a', true, 1), vote('b', false, 2)]).item; // tie → false

  it('a voted label takes the consensus; 0.5 keeps it; adjudicated and vote-less labels are left alone', () => {
    expect(applyConsensusLabel(voted, 0.9)).toMatchObject({ labelChanged: true, item: { label: { violating: true, source: 'consensus' } } });
    expect(applyConsensusLabel(voted, 0.2).changed).toBe(false);
    expect(applyConsensusLabel(voted, 0.5).changed).toBe(false);
    const adj = applyLabelEvents(voted, [adjudicate(false, 9)]).item;
    expect(applyConsensusLabel(adj, 0.99).changed).toBe(false);
    expect(applyConsensusLabel(item({ violating: false }), 0.99).changed).toBe(false);
    expect(applyConsensusLabel(item(), 0.99).changed).toBe(false);
  });

  it('the posterior of the current label feeds LBL.AMBIG after consensus', () => {
    expect(posteriorOfLabel(voted, 0.3)).toBeCloseTo(0.7, 12);
    expect(posteriorOfLabel(item({ violating: true }), 0.3)).toBeCloseTo(0.3, 12);
    expect(posteriorOfLabel(item(), 0.3)).toBeUndefined();
    expect(posteriorOfLabel(voted, undefined)).toBeUndefined();
    // three votes 2:1 for "violating" on a TN... here an FN with a confident consensus is not ambiguous,
    // a doubtful one is.
    const fn = applyLabelEvents(item(undefined, 0.1), [vote('a', true, 1), vote('b', true, 2), vote('c', false, 3)]).item;
    expect(diagnoseItem(fn, { threshold: 0.5 }).primary).toBe('LBL.AMBIG'); // share 0.67 < 0.70
    expect(diagnoseItem(fn, { threshold: 0.5, consensusPosterior: posteriorOfLabel(fn, 0.95) }).primary).not.toBe('LBL.AMBIG');
    expect(diagnoseItem(fn, { threshold: 0.5, consensusPosterior: posteriorOfLabel(fn, 0.7) }).primary).toBe('LBL.AMBIG');
  });
});
