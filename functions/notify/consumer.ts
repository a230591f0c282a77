// The notification queue's consumer: events of a slice (events.ts) and webhook deliveries
// (sender.ts). A batch's messages run concurrently (one slow receiver does not hold the others);
// its deliveries share one read and one write batch.
import type { Bindings, DeliverMessage, NotifyMessage, NotifyQueueMessage } from '../env.ts';
import { computeEvents } from './events.ts';
import { attemptDeliveries } from './sender.ts';

/** Unexpected failures (D1 unavailable …): the queue retries the step; both steps are idempotent. */
function failed(m: Message<NotifyQueueMessage>, e: unknown) {
  console.error(`notify: ${m.body.kind} message failed (attempt ${m.attempts}): ${(e as Error).message}`);
  m.retry({ delaySeconds: Math.min(300, 2 ** m.attempts) });
}

async function events(env: Bindings, m: Message<NotifyQueueMessage>): Promise<void> {
  try {
    await computeEvents(env, m.body as NotifyMessage);
    m.ack();
  } catch (e) {
    failed(m, e);
  }
}

async function deliveries(env: Bindings, ms: readonly Message<NotifyQueueMessage>[]): Promise<void> {
  if (!ms.length) return;
  try {
    const results = await attemptDeliveries(env, ms.map((m) => m.body as DeliverMessage));
    ms.forEach((m, i) => {
      const r = results[i];
      if (typeof r === 'number') m.retry({ delaySeconds: r });
      else m.ack();
    });
  } catch (e) {
    for (const m of ms) failed(m, e);
  }
}

export async function handleNotifyMessages(env: Bindings, messages: readonly Message<NotifyQueueMessage>[]): Promise<void> {
  await Promise.all([
    ...messages.filter((m) => m.body.kind === 'notify').map((m) => events(env, m)),
    deliveries(env, messages.filter((m) => m.body.kind === 'deliver')),
  ]);
}
