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

export const RecommendationSchema = z.object({
  intervention: z.string(), lever: z.string(), cost: z.number(), recoverable: z.number(), score: z.number(),
  terms: z.array(z.object({ signature: z.string(), policy: z.string(), failures: z.number(), weight: z.number(), severity: z.number() })),
}).openapi('Recommendation');

export const ScorecardSchema = z.object({
  region: z.string(),
  model: z.object({ id: z.string(), version: z.string(), stage: z.string() }),
  taxonomy_version: z.string(),
  ...Counts,
  by_policy: z.array(z.object({ policy: z.string(), severity: z.number(), threshold: z.number().nullable(), ...Counts })),
  recommendations: z.array(RecommendationSchema),
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
