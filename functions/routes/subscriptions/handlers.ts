import type { AppRouteHandler } from '../../lib/openapi.ts';
import { requireAdmin } from '../../middleware/auth.ts';
import { notFound } from '../../lib/errors.ts';
import * as svc from '../../services/subscriptions.ts';
import type { createSubscription, deleteSubscription, getSubscription, listSubscriptionDeliveries, listSubscriptions } from './routes.ts';

const missing = (id: string) => notFound(`id: no subscription '${id}'`);

export const createSubscriptionHandler: AppRouteHandler<typeof createSubscription> = async (c) => {
  requireAdmin(c.get('principal'));
  const { subscription, secret } = await svc.createSubscription(c.env, c.req.valid('json'));
  return c.json({ ...subscription, secret }, 201);
};

export const listSubscriptionsHandler: AppRouteHandler<typeof listSubscriptions> = async (c) => {
  requireAdmin(c.get('principal'));
  return c.json({ subscriptions: (await svc.listSubscriptions(c.env.DB)).map(svc.publicSubscription) }, 200);
};

export const getSubscriptionHandler: AppRouteHandler<typeof getSubscription> = async (c) => {
  requireAdmin(c.get('principal'));
  const { id } = c.req.valid('param');
  const row = await svc.getSubscription(c.env.DB, id);
  if (!row) throw missing(id);
  return c.json(svc.publicSubscription(row), 200);
};

export const deleteSubscriptionHandler: AppRouteHandler<typeof deleteSubscription> = async (c) => {
  requireAdmin(c.get('principal'));
  const { id } = c.req.valid('param');
  if (!(await svc.deleteSubscription(c.env.DB, id))) throw missing(id);
  return c.json({ id, deleted: true }, 200);
};

export const listSubscriptionDeliveriesHandler: AppRouteHandler<typeof listSubscriptionDeliveries> = async (c) => {
  requireAdmin(c.get('principal'));
  const { id } = c.req.valid('param');
  if (!(await svc.getSubscription(c.env.DB, id))) throw missing(id);
  const rows = await svc.listAttempts(c.env.DB, id, c.req.valid('query').limit);
  return c.json({
    deliveries: rows.map((r) => ({
      at: r.at, event_id: r.event_id, event_type: r.event_type, webhook_id: r.webhook_id,
      status: r.http_status, error: r.error, duration_ms: r.duration_ms, delivery: r.delivery_status,
    })),
  }, 200);
};
