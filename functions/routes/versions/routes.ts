import { createRoute, z } from '@hono/zod-openapi';
import { bearer, errorResponses, RateSchema, RegionParam } from '../../schemas/common.ts';

const Side = z.object({ count: z.number(), n: z.number(), rate: RateSchema });
const Interval = z.object({ value: z.number(), low: z.number(), high: z.number() });
export const CompareCell = z.object({
  policy: z.string(), signature: z.string().openapi({ description: '"*" = the overall failure rate' }),
  from: Side, to: Side, diff: Interval.nullable().openapi({ description: 'to − from, Newcombe hybrid score interval' }),
  z: z.number().nullable(), p: z.number().nullable(), q: z.number().nullable().openapi({ description: 'Benjamini–Hochberg over all tested cells' }),
  verdict: z.enum(['improved', 'regressed', 'no_change', 'too_few']),
}).openapi('CompareCell');

const Version = z.object({ version: z.string(), stage: z.string() });

export const compare = createRoute({
  operationId: 'compareVersions',
  method: 'get', path: '/v1/regions/{region}/compare', tags: ['versions'], security: bearer,
  summary: 'Two model versions side by side in a region: every (policy, signature) cell with difference, p, BH q and a verdict',
  request: {
    params: z.object({ region: RegionParam }),
    query: z.object({ model: z.string().min(1).max(128), from: z.string().min(1).max(64), to: z.string().min(1).max(64) }),
  },
  responses: {
    200: { description: 'Cells', content: { 'application/json': { schema: z.object({ region: z.string(), model: z.string(), from: Version, to: Version, cells: z.array(CompareCell) }) } } },
    ...errorResponses,
  },
});

const SigRate = z.object({ code: z.string(), count: z.number(), rate: RateSchema });
export const lifecycle = createRoute({
  operationId: 'getLifecycle',
  method: 'get', path: '/v1/lifecycle', tags: ['versions'], security: bearer,
  summary: 'Signature rates by lifecycle stage (pretrain → sft → alignment → production), all regions or one',
  request: { query: z.object({ model: z.string().min(1).max(128), region: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code').optional() }) },
  responses: {
    200: {
      description: 'Stages in lifecycle order',
      content: { 'application/json': { schema: z.object({
        model: z.string(), region: z.string().nullable(),
        stages: z.array(z.object({ stage: z.string(), versions: z.array(z.string()), items: z.number(), failures: z.number(), excluded: z.number(), pending: z.number(), failure_rate: RateSchema, by_signature: z.array(SigRate),
          time_to_detect: z.object({ n: z.number(), p50: z.number(), p90: z.number(), p99: z.number(), within_30s: z.number() }).nullable()
            .openapi({ description: 'SPEC §12, pooled over the stage\'s versions and policies (ms; null without live TPs)' }) })),
      }) } },
    },
    ...errorResponses,
  },
});
