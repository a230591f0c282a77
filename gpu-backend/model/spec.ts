// The reference AVLM: a small, fully specified stand-in for the real audio-visual-language
// moderation model, with the same interface (SPEC §7). Pure TypeScript, no I/O: the ONNX
// generator, the tests, the demo-data generator and the Worker can all import it.
//
// Interface (batch dimension N first, FP32 everywhere):
//   audio [N, 16]   visual [N, 16]   text [N, 32]
//   modality_mask [N, 3]   (audio, visual, text; 1 = present, 0 = masked)
//   policy_context [N, 1]  (1 = the policy's text is supplied, 0 = not)
//   → scores [N, P]        (sigmoid probabilities, one column per policy in POLICY_CODES order)
//
// Forward pass, per row, for policy p (m ranges over audio, visual, text):
//   c_m[p]   = x_m · W_m[:, p] + b_m[p]                         per-modality evidence logit
//   fused[p] = Σ_m mask_m·w_m·c_m[p] / max(Σ_m mask_m·w_m, ε)    weighted mean over present modalities
//   pc[p]    = policy_context · (pcBias[p] + mask_text · x_text · Wpc[:, p])
//   score[p] = sigmoid(b0[p] + fused[p] + pc[p])
// with fixed fusion weights w = {audio 0.25, visual 1.0, text 0.75}. A masked modality
// contributes exactly nothing (numerator and denominator), so `<m>_only` probes equal
// sigmoid(b0 + c_m) and the low audio weight lets strong audio evidence be "drowned in
// fusion" (FUS.SUPPRESS.audio) while strong visual evidence alone can dominate
// (FUS.SHORTCUT.visual).
//
// Weights come from a seeded PRNG (mulberry32, uniform draws only, so every platform
// computes the same float32 bits). Each modality gets a random orthonormal basis of its
// feature space (Gram–Schmidt); column p of that basis is policy p's *evidence direction*
// in that modality, and W_m = EVIDENCE_GAIN · [u_0 … u_{P-1}]. In the text space the next
// P basis vectors are the *policy-knowledge directions*: cues the model only reads when
// the policy text is supplied (Wpc = POLICY_GAIN · [v_0 … v_{P-1}]), which makes POL.GAP
// representable in both directions. The remaining basis vectors are nuisance directions
// that no output reads. `featuresFor` crafts features along these directions.

import { POLICY_CODES } from '../../taxonomy/policies.ts';
import { DIMS, INPUT_NAMES, MODALITY_ORDER, PROBE_ROWS, type ModalityName, type ProbeRowKey } from '../interface.ts';

export { DIMS, INPUT_NAMES, MODALITY_ORDER, MODEL_NAME, MODEL_VERSION, OUTPUT_NAME, PROBE_ROWS, ROWS_PER_ITEM } from '../interface.ts';
export type { FeatureDims, InputName, ModalityName, ProbeRowKey } from '../interface.ts';
/** Fusion weight of each modality (the weighted mean over present modalities). */
export const FUSION_WEIGHTS: Readonly<Record<ModalityName, number>> = Object.freeze({ audio: 0.25, visual: 1.0, text: 0.75 });
/** Logit per unit of feature along an evidence direction. */
export const EVIDENCE_GAIN = 4;
/** Logit per unit of text feature along a policy-knowledge direction (only with policy_context = 1). */
export const POLICY_GAIN = 4;
/** Guards the fusion denominator when every modality is masked. */
export const FUSION_EPS = 1e-6;
/** PRNG seed of every weight. Changing it changes the model file. */
export const SEED = 0x5eed_a71a;

export interface ModelWeights {
  policies: readonly string[];
  dims: Readonly<Record<ModalityName, number>>;
  fusion: Readonly<Record<ModalityName, number>>;
  /** W_m, row-major [D_m, P], float32 values. */
  W: Record<ModalityName, Float32Array>;
  /** b_m [P]. */
  b: Record<ModalityName, Float32Array>;
  /** Wpc, row-major [D_text, P]. */
  Wpc: Float32Array;
  /** pcBias [P]. */
  pcBias: Float32Array;
  /** b0 [P]: the global bias (score of neutral content is sigmoid(b0)). */
  b0: Float32Array;
}

/** mulberry32: a tiny 32-bit PRNG; integer ops only, identical on every platform. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random orthonormal basis of R^d (columns), as d vectors of length d (float64). */
function orthonormalBasis(d: number, rand: () => number): number[][] {
  const basis: number[][] = [];
  while (basis.length < d) {
    const v = Array.from({ length: d }, () => rand() * 2 - 1);
    // Modified Gram–Schmidt, twice for numerical safety.
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        let dot = 0;
        for (let i = 0; i < d; i++) dot += v[i] * q[i];
        for (let i = 0; i < d; i++) v[i] -= dot * q[i];
      }
    }
    let norm = 0;
    for (let i = 0; i < d; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    if (norm < 1e-3) continue; // (practically never) a degenerate draw: draw again
    basis.push(v.map((x) => x / norm));
  }
  return basis;
}

/** Row-major [d, P] float32 matrix whose column p is gain · basis[offset + p]. */
function columnsFrom(basis: number[][], offset: number, P: number, gain: number): Float32Array {
  const d = basis[0].length;
  const out = new Float32Array(d * P);
  for (let p = 0; p < P; p++) {
    const u = basis[offset + p];
    for (let i = 0; i < d; i++) out[i * P + p] = gain * u[i];
  }
  return out;
}

/** All weights of the reference model for a policy list (default: the taxonomy's). Deterministic. */
export function buildWeights(policies: readonly string[] = POLICY_CODES, seed: number = SEED): ModelWeights {
  const P = policies.length;
  if (P < 1) throw new Error('the model needs at least one policy');
  if (P > DIMS.audio || P > DIMS.visual || 2 * P > DIMS.text) {
    throw new Error(`${P} policies do not fit the feature dims ${JSON.stringify(DIMS)} (need audio, visual >= P and text >= 2P)`);
  }
  const rand = mulberry32(seed);
  const bases = {
    audio: orthonormalBasis(DIMS.audio, rand),
    visual: orthonormalBasis(DIMS.visual, rand),
    text: orthonormalBasis(DIMS.text, rand),
  };
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * rand();
  const vec = (f: () => number) => Float32Array.from({ length: P }, f);
  const W = {
    audio: columnsFrom(bases.audio, 0, P, EVIDENCE_GAIN),
    visual: columnsFrom(bases.visual, 0, P, EVIDENCE_GAIN),
    text: columnsFrom(bases.text, 0, P, EVIDENCE_GAIN),
  };
  const b = {
    audio: vec(() => uniform(-0.5, 0.5)),
    visual: vec(() => uniform(-0.5, 0.5)),
    text: vec(() => uniform(-0.5, 0.5)),
  };
  const Wpc = columnsFrom(bases.text, P, P, POLICY_GAIN);
  const pcBias = vec(() => uniform(0.25, 0.75));
  const b0 = vec(() => uniform(-2.25, -1.75));
  return { policies: [...policies], dims: DIMS, fusion: FUSION_WEIGHTS, W, b, Wpc, pcBias, b0 };
}

let cached: ModelWeights | undefined;
/** The weights of the shipped model (taxonomy policies, default seed), computed once. */
export function weights(): ModelWeights {
  return (cached ??= buildWeights());
}

export interface ModelInputs {
  audio: ArrayLike<number>[];
  visual: ArrayLike<number>[];
  text: ArrayLike<number>[];
  modality_mask: ArrayLike<number>[];
  policy_context: ArrayLike<number>[];
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const logit = (p: number) => Math.log(p / (1 - p));
const f32 = Math.fround;

/** Per-modality evidence logits c_m [P] of one feature row. */
function evidence(w: ModelWeights, m: ModalityName, x: ArrayLike<number>): number[] {
  const P = w.policies.length;
  const d = w.dims[m];
  const out = Array.from(w.b[m], Number);
  for (let i = 0; i < d; i++) {
    const xi = f32(x[i]);
    if (xi === 0) continue;
    for (let p = 0; p < P; p++) out[p] += xi * w.W[m][i * P + p];
  }
  return out;
}

/** Pure-JS forward pass of the reference model (float64 over the float32 weights): scores [N][P]. */
export function referenceForward(inputs: ModelInputs, w: ModelWeights = weights()): number[][] {
  return fusedForward(inputs, w, (m, x) => evidence(w, m, x));
}

/**
 * The model after the per-modality evidence: masked weighted-mean fusion, the policy-context
 * term and the sigmoid. Shared by every variant, which differ only in how evidence is computed.
 */
export function fusedForward(inputs: ModelInputs, w: ModelWeights, evidenceOf: (m: ModalityName, x: ArrayLike<number>) => number[]): number[][] {
  const N = inputs.audio.length;
  const P = w.policies.length;
  for (const name of INPUT_NAMES) {
    if (inputs[name].length !== N) throw new Error(`${name} has ${inputs[name].length} rows, audio has ${N}`);
  }
  const rows: number[][] = [];
  for (let n = 0; n < N; n++) {
    const mask = MODALITY_ORDER.map((_, i) => f32(inputs.modality_mask[n][i]));
    const pcOn = f32(inputs.policy_context[n][0]);
    const num = new Array<number>(P).fill(0);
    let den = 0;
    MODALITY_ORDER.forEach((m, i) => {
      const wm = f32(mask[i] * w.fusion[m]);
      den += wm;
      if (wm === 0) return;
      const c = evidenceOf(m, inputs[m][n]);
      for (let p = 0; p < P; p++) num[p] += wm * c[p];
    });
    den = Math.max(den, FUSION_EPS);
    const k = new Array<number>(P).fill(0);
    const xt = inputs.text[n];
    for (let i = 0; i < w.dims.text; i++) {
      const xi = f32(xt[i]);
      if (xi === 0) continue;
      for (let p = 0; p < P; p++) k[p] += xi * w.Wpc[i * P + p];
    }
    const row: number[] = [];
    for (let p = 0; p < P; p++) {
      const pc = pcOn * (w.pcBias[p] + mask[2] * k[p]);
      row.push(sigmoid(w.b0[p] + num[p] / den + pc));
    }
    rows.push(row);
  }
  return rows;
}

export interface FeatureRequest {
  /** Column of the policy in the model output (taxonomy `policyIndex(code)`). */
  policyIndex: number;
  /**
   * Per-modality strength = the target score of that modality's `<m>_only` probe for this
   * policy, in (0, 1): 0.95 = that modality alone is strong evidence, 0.02 = clearly benign.
   * Omitted = neutral evidence (the probe scores sigmoid(b0), ≈ 0.12).
   */
  audio?: number;
  visual?: number;
  text?: number;
  /**
   * Target score of the `policy_context` probe (full input + policy text) for this policy.
   * Omitted = no policy-knowledge cue (the probe then only adds pcBias to the full logit).
   */
  policyContext?: number;
  /** Amplitude of random nuisance features (directions no output reads); 0 = none. */
  noise?: number;
  /** Seed of the nuisance noise (default 1). */
  seed?: number;
}

export interface Features {
  audio: number[];
  visual: number[];
  text: number[];
}

const clampP = (p: number) => Math.min(1 - 1e-4, Math.max(1e-4, p));

/**
 * Feature vectors for which the model's per-modality evidence on `policyIndex` is exactly
 * the requested strength (up to float32 rounding). Other policies see only their own
 * per-modality bias. See `expectedScores` for what the full input and the probes score.
 */
export function featuresFor(req: FeatureRequest, w: ModelWeights = weights()): Features {
  const P = w.policies.length;
  const p = req.policyIndex;
  if (!Number.isInteger(p) || p < 0 || p >= P) throw new RangeError(`policyIndex ${p} is not in [0, ${P})`);
  const target: Record<ModalityName, number> = { audio: 0, visual: 0, text: 0 };
  const out = {} as Features;
  for (const m of MODALITY_ORDER) {
    const s = req[m];
    // Desired evidence logit c_m[p], so that sigmoid(b0 + c_m) = s.
    target[m] = s === undefined ? 0 : logit(clampP(s)) - w.b0[p];
    out[m] = along(w.W[m], w.dims[m], P, p, target[m] - w.b[m][p]);
  }
  if (req.policyContext !== undefined) {
    let num = 0;
    let den = 0;
    for (const m of MODALITY_ORDER) {
      num += w.fusion[m] * target[m];
      den += w.fusion[m];
    }
    const fullLogit = w.b0[p] + num / den;
    const k = logit(clampP(req.policyContext)) - fullLogit - w.pcBias[p];
    const v = along(w.Wpc, w.dims.text, P, p, k);
    for (let i = 0; i < v.length; i++) out.text[i] += v[i];
  }
  if (req.noise) {
    const rand = mulberry32(req.seed ?? 1);
    for (const m of MODALITY_ORDER) {
      const read = m === 'text' ? [w.W.text, w.Wpc] : [w.W[m]];
      const noise = projectOut(Array.from({ length: w.dims[m] }, () => (rand() * 2 - 1) * req.noise!), read, P);
      for (let i = 0; i < noise.length; i++) out[m][i] += noise[i];
    }
  }
  return out;
}

/** x = value · col / |col|², so that x · col = value (col = column p of a row-major [d, P] matrix). */
function along(M: Float32Array, d: number, P: number, p: number, value: number): number[] {
  let n2 = 0;
  for (let i = 0; i < d; i++) n2 += M[i * P + p] ** 2;
  return Array.from({ length: d }, (_, i) => (value * M[i * P + p]) / n2);
}

/** Removes from x every component along a column of the given [d, P] matrices (orthogonal columns). */
function projectOut(x: number[], mats: Float32Array[], P: number): number[] {
  const d = x.length;
  for (const M of mats) {
    for (let p = 0; p < P; p++) {
      let dot = 0;
      let n2 = 0;
      for (let i = 0; i < d; i++) {
        dot += x[i] * M[i * P + p];
        n2 += M[i * P + p] ** 2;
      }
      for (let i = 0; i < d; i++) x[i] -= (dot / n2) * M[i * P + p];
    }
  }
  return x;
}


/** What the model scores for one item's features on its policy: prediction and every probe. */
export function expectedScores(features: Features, policyIndex: number, w: ModelWeights = weights()): Record<ProbeRowKey, number> {
  const rows = PROBE_ROWS.map((r) => ({ ...r }));
  const scores = referenceForward({
    audio: rows.map(() => features.audio),
    visual: rows.map(() => features.visual),
    text: rows.map(() => features.text),
    modality_mask: rows.map((r) => [...r.mask]),
    policy_context: rows.map((r) => [r.policyContext]),
  }, w);
  return Object.fromEntries(rows.map((r, i) => [r.key, scores[i][policyIndex]])) as Record<ProbeRowKey, number>;
}
