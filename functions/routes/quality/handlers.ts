import type { Principal } from '../../env.ts';
import type { AppRouteHandler } from '../../lib/openapi.ts';
import { requireAccess, requireAdmin } from '../../middleware/auth.ts';
import { forbidden, notFound } from '../../lib/errors.ts';
import { syncWritten } from '../../store/partition/sync.ts';
import { annotatorQuality as annotatorQ, runConsensus as run, runDawidSkene, vendorQuality as vendorQ } from '../../labels/consensus.ts';
import { getVendorRow } from '../../labels/vendors.ts';
import type { annotatorQuality, runConsensus, vendorQuality } from './routes.ts';

/** Quality spans regions: the admin, or a key with the read scope for every region ('*'). */
function requireGlobalRead(p: Principal): void {
  requireAccess(p, 'read');
  if (p.kind === 'key' && !p.regions.includes('*')) throw forbidden("annotator and vendor quality span regions: needs a read key for regions ['*']");
}

export const vendorQualityHandler: AppRouteHandler<typeof vendorQuality> = async (c) => {
  requireGlobalRead(c.get('principal'));
  const { vendor } = c.req.valid('param');
  // A vendor is a registered one (webhooks) or one that submitted items name as their label's
  // source (SPEC §3) and whose votes they carry; any other name is unknown.
  const registered = await getVendorRow(c.env.DB, vendor);
  const q = vendorQ(await runDawidSkene(c.env.DB), vendor);
  if (!registered && q.summary.votes === 0) throw notFound(`vendor: no vendor '${vendor}' (neither registered nor named by any submitted vote)`);
  return c.json(q, 200);
};

export const annotatorQualityHandler: AppRouteHandler<typeof annotatorQuality> = async (c) => {
  requireGlobalRead(c.get('principal'));
  const { id } = c.req.valid('param');
  const q = annotatorQ(await runDawidSkene(c.env.DB), id);
  if (!q) throw notFound(`id: no votes by annotator '${id}'`);
  return c.json(q, 200);
};

export const runConsensusHandler: AppRouteHandler<typeof runConsensus> = async (c) => {
  requireAdmin(c.get('principal'));
  const body = c.req.valid('json') as { limit?: number; cursor?: number };
  // The records each batch rewrote go straight to their item partitions (store/partition/sync.ts).
  return c.json(await run(c.env, body, (written) => syncWritten(c.env, written)), 200);
};
