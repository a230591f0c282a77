// A 2,000-item slice (~340 KB NDJSON) whose diagnosis is counted by hand: large enough for the
// streamed and the queued ingest paths in tests (ASYNC_INGEST_BYTES is 200 KB there).

const votes3 = [{ annotator: 'a', violating: true }, { annotator: 'b', violating: true }, { annotator: 'c', violating: false }];

/** Item i of the big slice (hate.slur, T 0.5); the comment gives its diagnosis. */
export function bigItem(i: number) {
  const base = { item_id: `b-${i}`, surface: 'vod', language: 'fr-FR', policy: 'hate.slur', meta: { row: i, note: 'n'.repeat(40) } };
  if (i % 10 === 0) return { ...base, label: { violating: true }, prediction: { score: 0.1 } }; // FN, UNPROBED
  if (i % 10 === 1) return { ...base, label: { violating: false }, prediction: { score: 0.55 } }; // FP, THR.MARGIN
  if (i % 10 === 2) return { ...base, prediction: { score: 0.3 } }; // pending
  if (i % 50 === 3) return { ...base, label: { violating: false, votes: votes3 }, prediction: { score: 0.9 } }; // FP, LBL.AMBIG
  return { ...base, label: { violating: false }, prediction: { score: 0.1 } }; // TN
}

export const BIG_N = 2000;
/** A live stream whose segment 2 flips (TP, TP, FN, TP, TP), spread over the body out of order. */
const flip = [0, 1, 2, 3, 4].map((n) => ({
  item_id: `live-${n}`, surface: 'live', policy: 'hate.slur', label: { violating: true },
  prediction: { score: n === 2 ? 0.1 : 0.9 }, live: { stream_id: 'fr-stream', segment: n },
}));

/** The NDJSON body: header, then the items with the live stream spread out of order. */
export function bigSliceBody(sliceId: string, model: { id: string; version: string; stage: string }, n = BIG_N) {
  const items: unknown[] = Array.from({ length: n }, (_, i) => bigItem(i));
  // Segment 2 first, its neighbours far later, the rest in between.
  items.splice(10, 0, flip[2]);
  items.splice(700, 0, flip[4]);
  items.splice(1200, 0, flip[0]);
  items.splice(1900, 0, flip[3]);
  items.push(flip[1]);
  return [{ slice_id: sliceId, model }, ...items].map((x) => JSON.stringify(x)).join('\n') + '\n';
}

// Hand count over i in [0, 2000): i%10==0 → 200 FN; i%10==1 → 200 FP; i%10==2 → 200 pending;
// i%50==3 → 40 LBL.AMBIG; the rest TN. Plus 5 live items: 4 TP and 1 TMP.FLIP.
export const BIG_EXPECTED = {
  items: BIG_N + 5,
  failures: 200 + 200 + 40 + 1,
  excluded: 40,
  pending: 200,
  by_signature: { 'LBL.AMBIG': 40, 'THR.MARGIN': 200, 'TMP.FLIP': 1, UNPROBED: 200 },
};

