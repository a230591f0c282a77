// Label consensus from annotator votes: majority vote and Dawid–Skene EM (Dawid & Skene 1979,
// "Maximum likelihood estimation of observer error-rates using the EM algorithm").
// Feeds LBL.AMBIG (the posterior of an item's label) and per-annotator / per-vendor quality.

export type ConsensusLabel = string | number | boolean;

export interface LabelVote<L extends ConsensusLabel = ConsensusLabel> {
  item: string;
  annotator: string;
  label: L;
}

export interface MajorityItem<L extends ConsensusLabel> {
  item: string;
  /** The most voted class; on a tie, the first tied class in `classes` order. */
  label: L;
  /** Votes per class, aligned with `classes`. */
  counts: number[];
  votes: number;
  /** Share of the votes for `label`. */
  share: number;
  /** More than one class had the top count: callers with their own tie rule check this. */
  tied: boolean;
}

export interface ConsensusItem<L extends ConsensusLabel> {
  item: string;
  /** argmax of the posterior; on an exact tie, the first class in `classes` order. */
  label: L;
  /** P(true class | votes), aligned with `classes`. */
  posterior: number[];
  votes: number;
}

export interface AnnotatorQuality {
  annotator: string;
  votes: number;
  /** confusion[true][given] = P(annotator says `given` | item is `true`); rows sum to 1. */
  confusion: number[][];
  /** Expected share of this annotator's votes that are right: mean posterior of the label given. */
  accuracy: number;
}

export interface DawidSkeneResult<L extends ConsensusLabel> {
  classes: L[];
  /** Estimated class prevalence, aligned with `classes`. */
  priors: number[];
  /** In order of first appearance in the votes. */
  items: ConsensusItem<L>[];
  /** In order of first appearance in the votes. */
  annotators: AnnotatorQuality[];
  iterations: number;
  converged: boolean;
  /** Log-likelihood of the votes under the final parameters. */
  logLikelihood: number;
}

export interface DawidSkeneOptions<L extends ConsensusLabel> {
  /** Class order (defines output alignment and tie-breaking); default: the sorted labels seen. */
  classes?: readonly L[];
  /**
   * Dirichlet pseudo-count added to every cell of every annotator's confusion matrix and to
   * the class counts (a MAP estimate instead of the plain MLE). Without it an annotator seen
   * once gets a deterministic confusion row, and a cell never observed gets probability 0,
   * which makes a single unexpected vote veto a class. 1 (Laplace) keeps annotators with few
   * votes close to uninformative while barely moving those with a hundred.
   */
  smoothing?: number;
  /** Stop when no posterior moves by more than this between iterations. */
  tolerance?: number;
  maxIterations?: number;
}

export const DS_DEFAULTS = { smoothing: 1, tolerance: 1e-6, maxIterations: 200 } as const;

/** Sorted distinct labels: numbers ascending, false before true, strings by code unit. */
export function sortedClasses<L extends ConsensusLabel>(labels: Iterable<L>): L[] {
  const rank = (x: ConsensusLabel) => (typeof x === 'boolean' ? 0 : typeof x === 'number' ? 1 : 2);
  return [...new Set(labels)].sort((a, b) => {
    const r = rank(a) - rank(b);
    if (r !== 0) return r;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/** Votes indexed once: dense ids for items, annotators and classes, in typed arrays. */
interface Indexed<L extends ConsensusLabel> {
  classes: L[];
  items: string[];
  annotators: string[];
  vItem: Int32Array;
  vAnn: Int32Array;
  vLabel: Int32Array;
}

function indexVotes<L extends ConsensusLabel>(votes: readonly LabelVote<L>[], classesOpt?: readonly L[]): Indexed<L> {
  const classes = classesOpt ? [...classesOpt] : sortedClasses(votes.map((v) => v.label));
  const classIdx = new Map<L, number>(classes.map((c, i) => [c, i]));
  if (classIdx.size !== classes.length) throw new RangeError('consensus: classes must be distinct');
  const itemIdx = new Map<string, number>();
  const annIdx = new Map<string, number>();
  const n = votes.length;
  const vItem = new Int32Array(n);
  const vAnn = new Int32Array(n);
  const vLabel = new Int32Array(n);
  for (let v = 0; v < n; v++) {
    const { item, annotator, label } = votes[v];
    const l = classIdx.get(label);
    if (l === undefined) throw new RangeError(`consensus: label ${JSON.stringify(label)} is not one of the classes`);
    let i = itemIdx.get(item);
    if (i === undefined) itemIdx.set(item, (i = itemIdx.size));
    let a = annIdx.get(annotator);
    if (a === undefined) annIdx.set(annotator, (a = annIdx.size));
    vItem[v] = i;
    vAnn[v] = a;
    vLabel[v] = l;
  }
  return { classes, items: [...itemIdx.keys()], annotators: [...annIdx.keys()], vItem, vAnn, vLabel };
}

/** Vote counts per item and class, as a flat items × classes array. */
function countVotes(ix: Indexed<ConsensusLabel>): Float64Array {
  const K = ix.classes.length;
  const counts = new Float64Array(ix.items.length * K);
  for (let v = 0; v < ix.vItem.length; v++) counts[ix.vItem[v] * K + ix.vLabel[v]] += 1;
  return counts;
}

/** First index of the maximum: ties go to the earlier class. */
function argmax(xs: ArrayLike<number>, from: number, K: number): number {
  let best = 0;
  for (let k = 1; k < K; k++) if (xs[from + k] > xs[from + best]) best = k;
  return best;
}

/**
 * Plain majority vote per item. Ties go to the first tied class in `classes` order (default:
 * sorted labels), so the result never depends on vote order; `tied` says when that happened.
 */
export function majorityVote<L extends ConsensusLabel>(
  votes: readonly LabelVote<L>[],
  options: { classes?: readonly L[] } = {},
): { classes: L[]; items: MajorityItem<L>[] } {
  const ix = indexVotes(votes, options.classes);
  const K = ix.classes.length;
  const counts = countVotes(ix);
  const items = ix.items.map((item, i): MajorityItem<L> => {
    const row = Array.from(counts.subarray(i * K, (i + 1) * K));
    const best = argmax(row, 0, K);
    const total = row.reduce((s, c) => s + c, 0);
    return {
      item, label: ix.classes[best], counts: row, votes: total, share: row[best] / total,
      tied: row.filter((c) => c === row[best]).length > 1,
    };
  });
  return { classes: ix.classes, items };
}

/**
 * Dawid–Skene EM. Starts from the soft majority vote (each item's vote shares, as in the
 * 1979 paper), then alternates: M-step — class priors and each annotator's confusion matrix
 * from the current posteriors (plus the smoothing pseudo-count); E-step — each item's
 * posterior ∝ prior × Π over its votes of P(vote | class). Repeated votes by one annotator
 * on one item count as separate observations. Cost per iteration is O(votes × classes).
 */
export function dawidSkene<L extends ConsensusLabel>(
  votes: readonly LabelVote<L>[],
  options: DawidSkeneOptions<L> = {},
): DawidSkeneResult<L> {
  const alpha = options.smoothing ?? DS_DEFAULTS.smoothing;
  const tolerance = options.tolerance ?? DS_DEFAULTS.tolerance;
  const maxIterations = options.maxIterations ?? DS_DEFAULTS.maxIterations;
  if (!(alpha >= 0)) throw new RangeError(`dawidSkene: smoothing must be >= 0, got ${alpha}`);

  const ix = indexVotes(votes, options.classes);
  const K = ix.classes.length;
  const I = ix.items.length;
  const A = ix.annotators.length;
  const V = ix.vItem.length;
  const { vItem, vAnn, vLabel } = ix;

  // Posteriors T (items × K), initialised to the vote shares.
  const T = countVotes(ix);
  for (let i = 0; i < I; i++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += T[i * K + k];
    for (let k = 0; k < K; k++) T[i * K + k] /= s;
  }

  const conf = new Float64Array(A * K * K);
  const logConf = new Float64Array(A * K * K);
  const priors = new Float64Array(K);
  const logPriors = new Float64Array(K);
  const logT = new Float64Array(I * K);
  // Per-vote offsets into T (item row) and into the confusion arrays (annotator, given label),
  // computed once: the two hot loops below then do no index arithmetic beyond + k.
  const tOff = new Int32Array(V);
  const cOff = new Int32Array(V);
  for (let v = 0; v < V; v++) {
    tOff[v] = vItem[v] * K;
    cOff[v] = vAnn[v] * K * K + vLabel[v];
  }

  const mStep = () => {
    conf.fill(alpha);
    for (let v = 0; v < V; v++) {
      const ti = tOff[v];
      const base = cOff[v];
      for (let k = 0; k < K; k++) conf[base + k * K] += T[ti + k];
    }
    for (let r = 0; r < A * K; r++) {
      let s = 0;
      for (let l = 0; l < K; l++) s += conf[r * K + l];
      // A row with no mass at all (smoothing 0, class never assigned) stays uniform.
      for (let l = 0; l < K; l++) {
        conf[r * K + l] = s > 0 ? conf[r * K + l] / s : 1 / K;
        logConf[r * K + l] = Math.log(conf[r * K + l]);
      }
    }
    priors.fill(alpha);
    for (let i = 0; i < I; i++) for (let k = 0; k < K; k++) priors[k] += T[i * K + k];
    const total = I + K * alpha;
    for (let k = 0; k < K; k++) {
      priors[k] = total > 0 ? priors[k] / total : 1 / K;
      logPriors[k] = Math.log(priors[k]);
    }
  };

  /** Updates T; returns the largest change of any posterior and the log-likelihood. */
  const eStep = (): { delta: number; ll: number } => {
    for (let i = 0; i < I; i++) for (let k = 0; k < K; k++) logT[i * K + k] = logPriors[k];
    for (let v = 0; v < V; v++) {
      const ti = tOff[v];
      const base = cOff[v];
      for (let k = 0; k < K; k++) logT[ti + k] += logConf[base + k * K];
    }
    let delta = 0;
    let ll = 0;
    for (let i = 0; i < I; i++) {
      const o = i * K;
      let max = -Infinity;
      for (let k = 0; k < K; k++) if (logT[o + k] > max) max = logT[o + k];
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.exp(logT[o + k] - max);
      ll += max + Math.log(s);
      for (let k = 0; k < K; k++) {
        const p = Math.exp(logT[o + k] - max) / s;
        const d = Math.abs(p - T[o + k]);
        if (d > delta) delta = d;
        T[o + k] = p;
      }
    }
    return { delta, ll };
  };

  let iterations = 0;
  let converged = false;
  let logLikelihood = 0;
  while (iterations < maxIterations && I > 0) {
    mStep();
    const { delta, ll } = eStep();
    iterations++;
    logLikelihood = ll;
    if (delta < tolerance) {
      converged = true;
      break;
    }
  }
  // Parameters consistent with the posteriors returned.
  if (I > 0) mStep();
  else converged = true;

  const items = ix.items.map((item, i): ConsensusItem<L> => ({
    item,
    label: ix.classes[argmax(T, i * K, K)],
    posterior: Array.from(T.subarray(i * K, (i + 1) * K)),
    votes: 0,
  }));
  const annVotes = new Float64Array(A);
  const annCorrect = new Float64Array(A);
  for (let v = 0; v < V; v++) {
    items[vItem[v]].votes += 1;
    annVotes[vAnn[v]] += 1;
    annCorrect[vAnn[v]] += T[vItem[v] * K + vLabel[v]];
  }
  const annotators = ix.annotators.map((annotator, a): AnnotatorQuality => ({
    annotator,
    votes: annVotes[a],
    confusion: Array.from({ length: K }, (_, k) => Array.from(conf.subarray((a * K + k) * K, (a * K + k + 1) * K))),
    accuracy: annCorrect[a] / annVotes[a],
  }));
  return { classes: ix.classes, priors: Array.from(priors), items, annotators, iterations, converged, logLikelihood };
}

/** Items keyed by id, for lookups such as "the posterior of this item's current label". */
export function byItem<L extends ConsensusLabel>(result: DawidSkeneResult<L>): Map<string, ConsensusItem<L>> {
  return new Map(result.items.map((x) => [x.item, x]));
}
