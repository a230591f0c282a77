import { createRoute, z } from '@hono/zod-openapi';
import { bearer, errorsWhen, RateSchema, READ_REGION, RegionParam } from '../../schemas/common.ts';
import { SLICE_SIGNATURE_CODES } from '../../../taxonomy/slice-signatures.ts';

const SignatureRate = z.object({ code: z.string(), count: z.number(), rate: RateSchema });
const Outcomes = z.object({ tp: z.number(), tn: z.number(), fp: z.number(), fn: z.number() });
const Counts = {
  items: z.number(), failures: z.number().openapi({ description: 'all failures, LBL.AMBIG included' }),
  excluded: z.number().openapi({ description: 'failures whose primary is LBL.AMBIG: not in the rate' }),
  pending: z.number(), outcomes: Outcomes,
  failure_rate: RateSchema.openapi({ description: '(failures − excluded) / (items − excluded − pending), Wilson 95 %' }),
  by_signature: z.array(SignatureRate),
};

const NowThen = z.object({ now: z.number(), then: z.number() });
export const ThresholdRecommendationSchema = z.object({
  policy: z.string(), threshold_now: z.number(), threshold: z.number(), fp: NowThen, fn: NowThen,
  cost: NowThen.openapi({ description: "severity · FN + 1 · FP, at the items' outcomes now and at the recommended threshold then" }),
}).openapi('ThresholdRecommendation', { description: 'SPEC §12: the cheapest threshold k/100 (k = 1…99) by the score histograms, when cheaper than now (n ≥ 200)' });

export const RecommendationSchema = z.object({
  intervention: z.string(), lever: z.string(), cost: z.number(), recoverable: z.number(), score: z.number(),
  terms: z.array(z.object({ signature: z.string(), policy: z.string(), failures: z.number(), weight: z.number(), severity: z.number() })),
  detail: z.object({ text: z.string().openapi({ example: 'set hate.slur in AR to 0.43: −38 FN, +6 FP' }), thresholds: z.array(ThresholdRecommendationSchema) }).nullable().optional()
    .openapi({ description: 'INF.THRESHOLD only: the threshold to set (null when no threshold costs less than now)' }),
}).openapi('Recommendation');

const OperatingRate = z.object({ value: z.number(), low: z.number(), high: z.number(), too_few: z.boolean() }).nullable()
  .openapi({ description: 'Wilson 95 %; null when the denominator is 0; too_few below 30' });
const OperatingPointSchema = z.object({
  policy: z.string().openapi({ description: '"*" = every policy pooled' }), tp: z.number(), fp: z.number(), tn: z.number(), fn: z.number(),
  precision: OperatingRate, recall: OperatingRate, fpr: OperatingRate, fnr: OperatingRate,
}).openapi('OperatingPoint', { description: 'SPEC §12: over items with an outcome that are not excluded' });
const TimeToDetectSchema = z.object({
  policy: z.string(), n: z.number(), p50: z.number(), p90: z.number(), p99: z.number(),
  within_30s: z.number().openapi({ description: 'share of the n delays ≤ 30,000 ms' }),
}).openapi('TimeToDetect', { description: 'SPEC §12: flag_ms − onset_ms over live TPs, ms, nearest-rank percentiles' });

export const ScorecardSchema = z.object({
  region: z.string(),
  model: z.object({ id: z.string(), version: z.string(), stage: z.string() }),
  taxonomy_version: z.string(),
  ...Counts,
  by_policy: z.array(z.object({ policy: z.string(), severity: z.number(), threshold: z.number().nullable(), ...Counts })),
  recommendations: z.array(RecommendationSchema),
  operating_points: z.array(OperatingPointSchema),
  thresholds: z.array(ThresholdRecommendationSchema),
  time_to_detect: z.array(TimeToDetectSchema).openapi({ description: 'policies with no live TP left out' }),
  slice_signatures: z.array(z.object({
    code: z.enum(SLICE_SIGNATURE_CODES), policy: z.string(), signature: z.string().optional(),
    statistics: z.record(z.string(), z.unknown()).openapi({ description: 'ECE and reliability table, z/p/q, PSI … as the rule needs' }),
    interventions: z.array(z.object({ code: z.string(), weight: z.number() })),
  })).openapi({ description: 'Listed beside the recommendations, not scored (v1)' }),
}).openapi('Scorecard');

export const getScorecard = createRoute({
  operationId: 'getScorecard',
  method: 'get', path: '/v1/regions/{region}/scorecard', tags: ['scorecards'], security: bearer,
  summary: 'Region scorecard for one model version: rates with Wilson 95 % intervals, per policy, ranked recommendations',
  request: {
    params: z.object({ region: RegionParam }),
    query: z.object({ model: z.string().min(1).max(128), version: z.string().min(1).max(64) }),
  },
  responses: { 200: { description: 'The scorecard', content: { 'application/json': { schema: ScorecardSchema } } }, ...errorsWhen({ 400: 'model or version missing or too long, or a malformed region (the message names it)', 403: READ_REGION, 404: 'Unknown region, or the model has no such version with slices' }) },
});
