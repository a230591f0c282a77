// The compute-bound variant of the reference AVLM: the SAME interface and the SAME scores as
// spec.ts, but each modality's evidence logits c_m = x_m · W_m + b_m are computed through a
// trunk of dense ReLU layers of width H, so that a model run costs what a real model's does
// (memory-bound GEMV for one row, compute-bound GEMM for a batch — which is what makes
// dynamic batching pay off). Used by the benchmark (gpu-backend/bench.ts), never committed:
// `generate.ts --hidden H --layers L --out DIR` writes it.
//
// Per modality m (n = H/2, row vectors):
//   a_0 = ReLU(x_m · E_m)            E_m = [A_m, −A_m]               [d_m, H]
//   a_k = ReLU(a_{k−1} · M_{m,k})    M_{m,k} = [[Q, −Q], [−Q, Q]]     [H, H], k = 1 … L
//   c_m = a_L · G_m + b_m            G_m = [T_m; −T_m]                [H, P]
// A_m [d_m, n] has orthonormal rows, each Q = Q_{m,k} [n, n] is orthogonal, and
// T_m = Q_Lᵀ ⋯ Q_1ᵀ A_mᵀ W_m. Every a_k is the pair [ReLU(u_k), ReLU(−u_k)] of some u_k, and
// ReLU(u) − ReLU(−u) = u, so u_k = u_{k−1} · Q_k, u_0 = x · A_m, and
//   c_m = u_L · T_m + b_m = x · A_m Q_1 ⋯ Q_L Q_Lᵀ ⋯ Q_1ᵀ A_mᵀ · W_m + b_m = x · W_m + b_m
// exactly in real arithmetic; in float32 the scores differ from spec.ts's by ~1e-6 (tested to
// 1e-4). So masks, fusion, policy context, featuresFor and expectedScores hold unchanged: the
// trunk only changes what a run COSTS (L dense H×H layers per modality, 3·L·H² weights).
//
// Q and A are randomized Hadamard transforms (n a power of two): Q = Π₁ D₁ Hₙ D₂ Π₂ with Hₙ
// the normalized Walsh–Hadamard matrix, D random signs, Π random permutations; every entry is
// ±1/√n, so the layers are fully dense and mixing (no sparsity or structure a runtime could
// exploit in a MatMul), and the weights are exact functions of a seeded PRNG (same float32
// bits on every platform).

import { DIMS, fusedForward, MODALITY_ORDER, mulberry32, weights, type ModalityName, type ModelInputs, type ModelWeights } from './spec.ts';

export interface TrunkSpec {
  /** Width H of the dense layers (2 × a power of two, ≥ 2 × the largest feature dim). */
  hidden: number;
  /** Dense H×H ReLU layers per modality (≥ 0; 0 = embedding and head only). */
  layers: number;
}

export interface TrunkWeights extends TrunkSpec {
  /** E_m, row-major [d_m, H]. */
  embed: Record<ModalityName, Float32Array>;
  /** M_{m,k}, row-major [H, H], k = 1 … layers. */
  dense: Record<ModalityName, Float32Array[]>;
  /** G_m, row-major [H, P]. */
  head: Record<ModalityName, Float32Array>;
}

/** Seed of the trunk weights (the base weights keep spec.ts's SEED, so featuresFor is unchanged). */
export const TRUNK_SEED = 0x7a0c_b001;

/** The trunk the benchmark uses: see gpu-backend/README.md (Benchmark) for why this size. */
export const BENCH_TRUNK: TrunkSpec = Object.freeze({ hidden: 1024, layers: 4 });

export function checkTrunkSpec(spec: TrunkSpec): void {
  const { hidden, layers } = spec;
  const n = hidden / 2;
  const maxDim = Math.max(...Object.values(DIMS));
  if (!Number.isInteger(hidden) || !Number.isInteger(n) || n < maxDim || (n & (n - 1)) !== 0) {
    throw new RangeError(`--hidden must be 2 × a power of two and at least ${2 * maxDim}, got ${hidden}`);
  }
  if (!Number.isInteger(layers) || layers < 0 || layers > 64) throw new RangeError(`--layers must be an integer in [0, 64], got ${layers}`);
}

/** Normalized Walsh–Hadamard matrix entry sign (H_n[i][j] = (−1)^popcount(i & j) / √n). */
function hadamardSign(i: number, j: number): number {
  let v = i & j;
  v ^= v >>> 16; v ^= v >>> 8; v ^= v >>> 4; v ^= v >>> 2; v ^= v >>> 1;
  return v & 1 ? -1 : 1;
}

function permutation(n: number, rand: () => number): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = p[i]; p[i] = p[j]; p[j] = t;
  }
  return p;
}

/**
 * A random orthogonal n×n matrix Π₁ D₁ Hₙ D₂ Π₂ as a sign table: Q[i][j] = sign(i, j) / √n.
 * Returned as a function (the matrix itself is only materialised into the ONNX weights).
 */
function randomHadamard(n: number, rand: () => number): (i: number, j: number) => number {
  const p1 = permutation(n, rand);
  const p2 = permutation(n, rand);
  const d1 = Int8Array.from({ length: n }, () => (rand() < 0.5 ? -1 : 1));
  const d2 = Int8Array.from({ length: n }, () => (rand() < 0.5 ? -1 : 1));
  // (Π₁ D₁ Hₙ D₂ Π₂)[i][j] = d1[p1[i]] · H[p1[i]][p2ᵀ[j]] · d2[p2ᵀ[j]]
  const p2inv = new Int32Array(n);
  for (let i = 0; i < n; i++) p2inv[p2[i]] = i;
  return (i, j) => {
    const a = p1[i];
    const b = p2inv[j];
    return d1[a] * d2[b] * hadamardSign(a, b);
  };
}

/** The trunk weights for a spec, over the given base weights (default: the shipped model's). Deterministic. */
export function buildTrunk(spec: TrunkSpec, w: ModelWeights = weights(), seed: number = TRUNK_SEED): TrunkWeights {
  checkTrunkSpec(spec);
  const H = spec.hidden;
  const n = H / 2;
  const P = w.policies.length;
  const scale = 1 / Math.sqrt(n);
  const rand = mulberry32(seed);
  const embed = {} as Record<ModalityName, Float32Array>;
  const dense = {} as Record<ModalityName, Float32Array[]>;
  const head = {} as Record<ModalityName, Float32Array>;
  for (const m of MODALITY_ORDER) {
    const d = w.dims[m];
    // A = the first d rows of a random orthogonal matrix: orthonormal rows.
    const a = randomHadamard(n, rand);
    const E = new Float32Array(d * H);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < n; j++) {
        const v = a(i, j) * scale;
        E[i * H + j] = v;
        E[i * H + n + j] = -v;
      }
    }
    embed[m] = E;
    // Y = Aᵀ W_m [n, P] (float64), then Y ← Q_kᵀ Y for k = 1 … L: T_m.
    let Y = new Float64Array(n * P);
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < d; i++) {
        const aij = a(i, j) * scale;
        for (let p = 0; p < P; p++) Y[j * P + p] += aij * w.W[m][i * P + p];
      }
    }
    dense[m] = [];
    for (let k = 0; k < spec.layers; k++) {
      const q = randomHadamard(n, rand);
      const M = new Float32Array(H * H);
      const next = new Float64Array(n * P);
      for (let i = 0; i < n; i++) {
        const rowTop = i * H;
        const rowBottom = (n + i) * H;
        for (let j = 0; j < n; j++) {
          const v = q(i, j) * scale;
          M[rowTop + j] = v;
          M[rowTop + n + j] = -v;
          M[rowBottom + j] = -v;
          M[rowBottom + n + j] = v;
          // next = Qᵀ Y: next[j] += Q[i][j] · Y[i]
          for (let p = 0; p < P; p++) next[j * P + p] += v * Y[i * P + p];
        }
      }
      dense[m].push(M);
      Y = next;
    }
    const G = new Float32Array(H * P);
    for (let j = 0; j < n; j++) {
      for (let p = 0; p < P; p++) {
        G[j * P + p] = Y[j * P + p];
        G[(n + j) * P + p] = -Y[j * P + p];
      }
    }
    head[m] = G;
  }
  return { hidden: H, layers: spec.layers, embed, dense, head };
}

const f32 = Math.fround;

/** Evidence logits c_m [P] of one feature row through the trunk (float64 over the float32 weights). */
function trunkEvidence(w: ModelWeights, t: TrunkWeights, m: ModalityName, x: ArrayLike<number>): number[] {
  const H = t.hidden;
  const P = w.policies.length;
  const d = w.dims[m];
  let a = new Float64Array(H);
  for (let i = 0; i < d; i++) {
    const xi = f32(x[i]);
    if (xi === 0) continue;
    for (let j = 0; j < H; j++) a[j] += xi * t.embed[m][i * H + j];
  }
  for (let j = 0; j < H; j++) a[j] = Math.max(0, a[j]);
  for (const M of t.dense[m]) {
    const next = new Float64Array(H);
    for (let i = 0; i < H; i++) {
      const ai = a[i];
      if (ai === 0) continue;
      const row = i * H;
      for (let j = 0; j < H; j++) next[j] += ai * M[row + j];
    }
    for (let j = 0; j < H; j++) next[j] = Math.max(0, next[j]);
    a = next;
  }
  const out = Array.from(w.b[m], Number);
  for (let i = 0; i < H; i++) {
    if (a[i] === 0) continue;
    for (let p = 0; p < P; p++) out[p] += a[i] * t.head[m][i * P + p];
  }
  return out;
}

/**
 * Literal forward pass of the variant (the trunk layer by layer, then spec.ts's fusion,
 * policy context and sigmoid): scores [N][P]. Slow (3·L·H² multiply-adds per row): for tests
 * on a few rows. Equals `referenceForward` up to float rounding (see the header).
 */
export function trunkForward(inputs: ModelInputs, t: TrunkWeights, w: ModelWeights = weights()): number[][] {
  return fusedForward(inputs, w, (m, x) => trunkEvidence(w, t, m, x));
}

/** Weights of the variant (multiply-adds per row ≈ this): for the README and the bench header. */
export function trunkParameterCount(t: TrunkSpec, w: ModelWeights = weights()): number {
  const P = w.policies.length;
  return MODALITY_ORDER.reduce((s, m) => s + w.dims[m] * t.hidden + t.layers * t.hidden * t.hidden + t.hidden * P, 0);
}
