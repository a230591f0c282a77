// Deterministic eval-item generator for the benchmarks (SPEC §3 item v1).
// The same (seed, n) always yields the same items, so runs are comparable across machines.
//
// Mix (approximate): surfaces vod 40 % / short 28 % / live 20 % (ordered segments of a few
// concurrent streams) / image 12 %; all policies of taxonomy/policies.ts; labels from a vendor
// or 'internal', 15 % with 3–5 annotator votes (some split → LBL.AMBIG); 2 % unlabelled
// (pending); every item has a prediction (~12 % wrong → failures); probes on ~60 % of the
// failures; ASR/OCR signals on part; media URIs; no `features`.

import { mulberry32 } from '../../../gpu-backend/model/spec.ts';

/** mulberry32 (the project's one PRNG): small, fast, deterministic. */
export const rng = mulberry32;

const r3 = (x) => Math.round(x * 1000) / 1000;
const clamp01 = (x) => Math.min(1, Math.max(0, x));

/** Policy weights by position in taxonomy/policies.ts (spam and adult are the bulk). */
const POLICY_WEIGHTS = { 'adult.nudity': 18, 'violence.graphic': 14, 'hate.slur': 14, 'minor.safety': 6, 'dangerous.acts': 10, 'spam.scam': 22, 'regulated.goods': 11, 'self_harm': 5 };

function pickWeighted(r, entries) {
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let x = r() * total;
  for (const [v, w] of entries) if ((x -= w) < 0) return v;
  return entries[entries.length - 1][0];
}

const VENDORS = ['acme-labels', 'northstar', 'internal'];
const MODS = ['audio', 'visual', 'text'];
const PROBES = ['audio_only', 'visual_only', 'text_only', 'no_audio', 'no_visual', 'no_text', 'policy_context'];

/**
 * Generates `n` items. `policies`: [{code, threshold}] (from taxonomy/policies.ts or GET /v1/policies).
 * `languages`: BCP-47 tags to draw from (first one dominant). Yields plain objects.
 */
export function* generateItems({ n, seed = 1, policies, languages = ['pt-BR', 'en', 'es'], idPrefix = 'it' }) {
  const r = rng(seed);
  const policyEntries = policies.map((p) => [p, POLICY_WEIGHTS[p.code] ?? 5]);
  const langEntries = languages.map((l, i) => [l, i === 0 ? 70 : 30 / Math.max(1, languages.length - 1)]);
  // A few live streams run at once; each emits its segments in order.
  const streams = [];
  let streamSeq = 0;
  const newStream = () => ({ id: `st-${seed}-${streamSeq++}`, seg: 0, len: 20 + Math.floor(r() * 60), policy: pickWeighted(r, policyEntries), violating: r() < 0.3, lang: pickWeighted(r, langEntries) });
  for (let k = 0; k < 4; k++) streams.push(newStream());

  for (let i = 0; i < n; i++) {
    const surface = pickWeighted(r, [['vod', 40], ['short', 28], ['live', 20], ['image', 12]]);
    let policy; let violating; let language; let live;
    if (surface === 'live') {
      const si = Math.floor(r() * streams.length);
      const st = streams[si];
      policy = st.policy;
      language = st.lang;
      // Violations in a stream come in runs.
      if (r() < 0.15) st.violating = !st.violating;
      violating = st.violating;
      const onset = st.seg * 10_000;
      live = { stream_id: st.id, segment: st.seg, onset_ms: onset, flag_ms: onset + Math.floor(r() < 0.1 ? 31_000 + r() * 60_000 : r() * 20_000) };
      if (++st.seg >= st.len) streams[si] = newStream();
    } else {
      policy = pickWeighted(r, policyEntries);
      violating = r() < 0.3;
      language = surface === 'image' && r() < 0.3 ? undefined : pickWeighted(r, langEntries);
    }
    const T = policy.threshold;
    // ~88 % correct decisions; wrong ones sometimes close to the threshold.
    const wrong = r() < 0.12;
    const predictViolating = wrong ? !violating : violating;
    const near = r() < 0.35;
    const score = r3(predictViolating
      ? clamp01(T + (near ? r() * 0.1 : 0.1 + r() * (1 - T - 0.1)))
      : clamp01(T - (near ? 0.001 + r() * 0.1 : 0.1 + r() * (T - 0.1))));

    const item = { item_id: `${idPrefix}-${String(i).padStart(7, '0')}`, content_id: `c${(seed * 1_000_003 + i * 7919).toString(36)}`, surface };
    if (language) item.language = language;
    item.policy = policy.code;
    if (r() >= 0.02) {
      const label = { violating, source: VENDORS[Math.floor(r() * VENDORS.length)] };
      if (r() < 0.15) {
        const k = 3 + Math.floor(r() * 3);
        const split = r() < 0.3; // raters disagree
        label.votes = Array.from({ length: k }, (_, j) => ({ annotator: `a${(i * 5 + j) % 997}`, violating: split && j % 2 === 1 ? !violating : violating }));
      }
      if (violating) {
        const ev = MODS.filter(() => r() < 0.55);
        label.evidence = ev.length ? ev : ['visual'];
      }
      if (violating && r() < 0.03) label.adversarial = true;
      item.label = label;
    }
    const prediction = { score };
    if (r() < 0.2) prediction.threshold = T;
    if (r() < 0.01) prediction.parse_ok = false;
    if (r() < 0.03) prediction.grounded = false;
    item.prediction = prediction;
    if (wrong && r() < 0.6) {
      const probes = {};
      for (const p of PROBES) if (r() < 0.85) probes[p] = r3(r());
      item.probes = probes;
    }
    if (surface !== 'image' && r() < 0.5) item.signals = { asr_confidence: r3(0.2 + r() * 0.8), ocr_confidence: r3(0.3 + r() * 0.7) };
    if (live) item.live = live;
    item.media = surface === 'image'
      ? { video_uri: `r2://media/img/${item.content_id}.jpg` }
      : { video_uri: `r2://media/v/${item.content_id}.mp4`, audio_uri: `r2://media/a/${item.content_id}.opus` };
    yield item;
  }
}

/** NDJSON body: header line then one item per line. Returns a Buffer. */
export function ndjsonSlice({ sliceId, model, items }) {
  const lines = [JSON.stringify({ slice_id: sliceId, model })];
  for (const it of items) lines.push(JSON.stringify(it));
  return Buffer.from(lines.join('\n') + '\n');
}
