/// <reference types="node" />
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dawidSkene, majorityVote, byItem, sortedClasses, type LabelVote } from '../../taxonomy/consensus.ts';

// Three decent annotators (A, B, C) and one who always answers the opposite (D).
// 12 items, odd ones 'yes'. A errs on items 1–2, B on 3–4, C on 5–6, D on all.
function adversarialVotes(): { votes: LabelVote<string>[]; truth: Map<string, string> } {
  const truth = new Map<string, string>();
  const votes: LabelVote<string>[] = [];
  const flip = (l: string) => (l === 'yes' ? 'no' : 'yes');
  const errs: Record<string, number[]> = { A: [1, 2], B: [3, 4], C: [5, 6], D: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] };
  for (let i = 1; i <= 12; i++) {
    const t = i % 2 === 1 ? 'yes' : 'no';
    truth.set(`i${i}`, t);
    for (const a of ['A', 'B', 'C', 'D']) votes.push({ item: `i${i}`, annotator: a, label: errs[a].includes(i) ? flip(t) : t });
  }
  return { votes, truth };
}

const accuracy = <L>(items: { item: string; label: L }[], truth: Map<string, L>) =>
  items.filter((x) => truth.has(x.item) && x.label === truth.get(x.item)).length / items.filter((x) => truth.has(x.item)).length;

describe('majorityVote', () => {
  it('counts, shares, and breaks ties by class order whatever the vote order', () => {
    const votes: LabelVote<string>[] = [
      { item: 'a', annotator: 'x', label: 'yes' }, { item: 'a', annotator: 'y', label: 'no' },
      { item: 'b', annotator: 'x', label: 'yes' }, { item: 'b', annotator: 'y', label: 'yes' }, { item: 'b', annotator: 'z', label: 'no' },
    ];
    const r = majorityVote(votes);
    expect(r.classes).toEqual(['no', 'yes']);
    expect(r.items).toEqual([
      { item: 'a', label: 'no', counts: [1, 1], votes: 2, share: 0.5, tied: true },
      { item: 'b', label: 'yes', counts: [1, 2], votes: 3, share: 2 / 3, tied: false },
    ]);
    expect(majorityVote([...votes].reverse()).items.find((x) => x.item === 'a')!.label).toBe('no');
    // an explicit class order moves the tie
    expect(majorityVote(votes, { classes: ['yes', 'no'] }).items[0].label).toBe('yes');
  });

  it('sorts numbers numerically and booleans false first', () => {
    expect(sortedClasses([10, 9, 2])).toEqual([2, 9, 10]);
    expect(sortedClasses([true, false])).toEqual([false, true]);
    const r = majorityVote([{ item: 'a', annotator: 'x', label: 10 }, { item: 'a', annotator: 'y', label: 9 }]);
    expect(r.items[0]).toMatchObject({ label: 9, tied: true });
  });

  it('rejects a label outside the given classes', () => {
    expect(() => majorityVote([{ item: 'a', annotator: 'x', label: 'maybe' }], { classes: ['yes', 'no'] })).toThrow(RangeError);
  });
});

describe('dawidSkene', () => {
  it('learns to flip the adversarial annotator and beats majority vote', () => {
    const { votes, truth } = adversarialVotes();
    // Majority vote: items 1–6 are 2:2 ties → 'no' (first class) → right on the 3 even ones;
    // items 7–12 are 3:1 → right. 9/12 = 0.75.
    const mv = majorityVote(votes);
    expect(mv.items.filter((x) => x.tied)).toHaveLength(6);
    expect(accuracy(mv.items, truth)).toBe(0.75);

    const ds = dawidSkene(votes);
    expect(ds.converged).toBe(true);
    expect(accuracy(ds.items, truth)).toBe(1);

    // At the fixed point the posteriors are ≈ the truth, so with smoothing 1 the confusion rows
    // are ≈ (1 + count)/(2 + 6): A right on 5 of its 6 'yes' items → P(yes|yes) ≈ 6/8 = 0.75;
    // D wrong on all 6 → P(no|yes) ≈ 7/8 = 0.875.
    const ann = new Map(ds.annotators.map((a) => [a.annotator, a]));
    expect(ann.get('A')!.confusion[1][1]).toBeCloseTo(0.75, 1);
    expect(ann.get('D')!.confusion[1][0]).toBeCloseTo(0.875, 1);
    expect(ann.get('D')!.confusion[0][1]).toBeCloseTo(0.875, 1);
    expect(ann.get('D')!.accuracy).toBeLessThan(0.1);
    for (const a of ['A', 'B', 'C']) expect(ann.get(a)!.accuracy).toBeGreaterThan(0.75);
    // Item 1 (truth yes): A no, B yes, C yes, D no. With the rows above:
    // yes: 0.25·0.75·0.75·0.875 = 0.1230; no: 0.75·0.25·0.25·0.125 = 0.00586 → P(yes) ≈ 21/22 = 0.955.
    expect(byItem(ds).get('i1')!.posterior[1]).toBeCloseTo(0.955, 1);
    for (const x of ds.items) expect(x.posterior.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 12);
    expect(ds.priors[0]).toBeCloseTo(0.5, 6); // 6 'yes', 6 'no', smoothed symmetrically
  });

  it('is deterministic and independent of vote order', () => {
    const { votes } = adversarialVotes();
    const a = dawidSkene(votes);
    const b = dawidSkene([...votes].reverse());
    const pb = byItem(b);
    for (const x of a.items) expect(pb.get(x.item)!.posterior).toEqual(x.posterior.map((p) => expect.closeTo(p, 9)));
  });

  it('multi-class with integer labels, a class nobody used, and empty input', () => {
    const votes: LabelVote<number>[] = [];
    for (let i = 0; i < 30; i++) {
      const t = i % 3;
      for (const a of ['p', 'q', 'r']) votes.push({ item: `x${i}`, annotator: a, label: a === 'r' && i % 5 === 0 ? (t + 1) % 3 : t });
    }
    const ds = dawidSkene(votes, { classes: [0, 1, 2, 3] });
    expect(ds.classes).toEqual([0, 1, 2, 3]);
    expect(ds.items.every((x, i) => x.label === i % 3)).toBe(true);
    expect(ds.priors[3]).toBeLessThan(0.05);
    expect(ds.annotators.map((a) => a.votes)).toEqual([30, 30, 30]);
    expect(dawidSkene([])).toMatchObject({ items: [], annotators: [], converged: true });
  });
});

// Real crowd labels (SPEC data: Ipeirotis et al., HCOMP 2010, AdultContent2): 825 MTurk workers,
// 11,040 sites rated G/P/R/X, 92,721 votes; gold ratings for 333 judged sites.
const DATA = fileURLToPath(new URL('../../../shared/data/adultcontent2/', import.meta.url));
const hasData = existsSync(`${DATA}labels.txt`) && existsSync(`${DATA}gold.txt`);
if (!hasData) console.log(`consensus.test: ${DATA} not found — skipping the real-data Dawid–Skene test`);

describe('Dawid–Skene on real crowd labels (AdultContent2)', () => {
  const load = () => {
    const rows = (f: string) => readFileSync(`${DATA}${f}`, 'utf8').split('\n').filter((l) => l.trim()).map((l) => l.split('\t').map((s) => s.trim()));
    const votes: LabelVote<string>[] = rows('labels.txt').map(([annotator, item, label]) => ({ annotator, item, label }));
    const gold = new Map(rows('gold.txt').map(([site, rating]) => [site, rating] as [string, string]));
    return { votes, gold };
  };
  const violating = (r: string) => r === 'R' || r === 'X';

  it.skipIf(!hasData)('accuracy on the gold sites: majority vote vs Dawid–Skene, 4-class and binary', () => {
    const { votes, gold } = load();
    expect(votes).toHaveLength(92_721);
    const t0 = performance.now();
    const ds = dawidSkene(votes);
    const dsMs = performance.now() - t0;
    const mv = majorityVote(votes);
    const judgedGold = mv.items.filter((x) => gold.has(x.item)).length;
    expect(judgedGold).toBe(333);

    const goldBin = new Map([...gold].map(([s, r]) => [s, violating(r)]));
    const binVotes = votes.map((v) => ({ ...v, label: violating(v.label) }));
    const mvBin = majorityVote(binVotes);
    const dsBin = dawidSkene(binVotes);

    const fig = {
      mvMulti: accuracy(mv.items, gold), dsMulti: accuracy(ds.items, gold),
      mvBinary: accuracy(mvBin.items, goldBin), dsBinary: accuracy(dsBin.items, goldBin),
    };
    console.log(`AdultContent2, ${judgedGold} gold sites — majority vote 4-class ${fig.mvMulti.toFixed(4)}, ` +
      `Dawid–Skene 4-class ${fig.dsMulti.toFixed(4)} (${ds.iterations} iterations, ${dsMs.toFixed(0)} ms), ` +
      `majority vote binary ${fig.mvBinary.toFixed(4)}, Dawid–Skene binary ${fig.dsBinary.toFixed(4)}`);

    // On this data set Dawid–Skene does not beat majority vote (249 vs 254 of 333 here; the
    // benchmark literature finds majority vote hard to beat on it too), so the claim tested is
    // non-inferiority within 2 points, plus floors that a broken EM would miss by far.
    expect(fig.dsMulti).toBeGreaterThanOrEqual(fig.mvMulti - 0.02);
    expect(fig.dsBinary).toBeGreaterThanOrEqual(fig.mvBinary - 0.02);
    expect(fig.dsMulti).toBeGreaterThan(0.72);
    expect(fig.dsBinary).toBeGreaterThan(0.87);
    expect(ds.converged).toBe(true);
    expect(dsMs).toBeLessThan(5_000);
  }, 60_000);

  it.skipIf(!hasData)('with spammers added, Dawid–Skene discounts them and beats majority vote', () => {
    const { votes, gold } = load();
    // Two workers who answer 'X' on every site: majority vote follows them on close items,
    // Dawid–Skene learns their rows are all 'X' (uninformative) and barely moves.
    const items = [...new Set(votes.map((v) => v.item))];
    const spammed = [...votes, ...items.flatMap((item) => ['spam1', 'spam2'].map((annotator) => ({ item, annotator, label: 'X' })))];
    const mv = accuracy(majorityVote(spammed).items, gold);
    const ds = dawidSkene(spammed);
    const dsAcc = accuracy(ds.items, gold);
    console.log(`AdultContent2 + 2 always-X spammers — majority vote ${mv.toFixed(4)}, Dawid–Skene ${dsAcc.toFixed(4)}`);
    expect(dsAcc).toBeGreaterThan(mv);
    const spam = ds.annotators.filter((a) => a.annotator.startsWith('spam'));
    // their expected accuracy is about the share of X among the sites (≈ 0.10)
    for (const a of spam) expect(a.accuracy).toBeLessThan(0.2);
  }, 60_000);
});
