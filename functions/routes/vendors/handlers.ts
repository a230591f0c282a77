import type { AppRouteHandler } from '../../lib/openapi.ts';
import { requireAdmin } from '../../middleware/auth.ts';
import { notFound } from '../../lib/errors.ts';
import { createVendor, getVendorRow, listVendorRows, publicVendor, rotateVendor } from '../../labels/vendors.ts';
import type { createVendor as createRoute, getVendor, listVendors, rotateVendor as rotateRoute } from './routes.ts';

export const createVendorHandler: AppRouteHandler<typeof createRoute> = async (c) => {
  requireAdmin(c.get('principal'));
  const { row, secret } = await createVendor(c.env, c.req.valid('json'));
  return c.json({ ...publicVendor(row), ...(secret === null ? {} : { secret }) }, 201);
};

export const rotateVendorHandler: AppRouteHandler<typeof rotateRoute> = async (c) => {
  requireAdmin(c.get('principal'));
  const { vendor } = c.req.valid('param');
  // The body is optional: without one, the default overlap (a day).
  const body = c.req.valid('json') as { overlap_seconds?: number; secret?: string };
  const { row, secret } = await rotateVendor(c.env, vendor, body.overlap_seconds ?? 86_400, body.secret);
  return c.json({ ...publicVendor(row), ...(secret === null ? {} : { secret }) }, 200);
};

export const getVendorHandler: AppRouteHandler<typeof getVendor> = async (c) => {
  requireAdmin(c.get('principal'));
  const { vendor } = c.req.valid('param');
  const row = await getVendorRow(c.env.DB, vendor);
  if (!row) throw notFound(`vendor: no vendor '${vendor}'`);
  return c.json(publicVendor(row), 200);
};

export const listVendorsHandler: AppRouteHandler<typeof listVendors> = async (c) => {
  requireAdmin(c.get('principal'));
  return c.json({ vendors: (await listVendorRows(c.env.DB)).map(publicVendor) }, 200);
};
