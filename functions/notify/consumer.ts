// The notification queue's consumer: events of a slice (events.ts) and webhook deliveries
// (sender.ts). Messages of a batch run concurrently: one slow receiver does not hold the others.
import type { Bindings, DeliverMessage, NotifyMessage, NotifyQueueMessage } from '../env.ts';
import { computeEvents } from './events.ts';
import { attemptDelivery } from './sender.ts';

async function one(env: Bindings, m: Message<NotifyQueueMessage>): Promise<void> {
  try {
    if (m.body.kind === 'notify') {
      await computeEvents(env, m.body as NotifyMessage);
      m.ack();
      return;
    }
    const r = await attemptDelivery(env, m.body as DeliverMessage);
    if (typeof r === 'number') m.retry({ delaySeconds: r });
    else m.ack();
  } catch (e) {
    // Unexpected (D1 unavailable …): the queue retries the whole step; both steps are idempotent.
    console.error(`notify: ${m.body.kind} message failed (attempt ${m.attempts}): ${(e as Error).message}`);
    m.retry({ delaySeconds: Math.min(300, 2 ** m.attempts) });
  }
}

export async function handleNotifyMessages(env: Bindings, messages: readonly Message<NotifyQueueMessage>[]): Promise<void> {
  await Promise.all(messages.map((m) => one(env, m)));
}
