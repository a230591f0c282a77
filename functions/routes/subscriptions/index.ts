import { createRouter } from '../../lib/openapi.ts';
import { createSubscription, deleteSubscription, getSubscription, listSubscriptionDeliveries, listSubscriptions } from './routes.ts';
import {
  createSubscriptionHandler, deleteSubscriptionHandler, getSubscriptionHandler, listSubscriptionDeliveriesHandler, listSubscriptionsHandler,
} from './handlers.ts';

export const subscriptionsRouter = createRouter()
  .openapi(createSubscription, createSubscriptionHandler)
  .openapi(listSubscriptions, listSubscriptionsHandler)
  .openapi(getSubscription, getSubscriptionHandler)
  .openapi(deleteSubscription, deleteSubscriptionHandler)
  .openapi(listSubscriptionDeliveries, listSubscriptionDeliveriesHandler);
