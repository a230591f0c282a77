// What ingest and the GPU backend jobs call once a slice is committed or complete: one message
// on the notification queue, nothing more — a slow or dead receiver never touches the ingest
// path, and a failure to queue is logged, never raised (the commit stands).
import type { Bindings, NotifyMessage } from '../env.ts';

export async function queueNotify(env: Pick<Bindings, 'NOTIFY_QUEUE'>, region: string, sliceId: string, trigger: NotifyMessage['trigger']): Promise<void> {
  try {
    await env.NOTIFY_QUEUE.send({ kind: 'notify', region, sliceId, trigger, at: new Date().toISOString() });
  } catch (e) {
    console.error(`notify: slice ${region}/${sliceId} (${trigger}) not queued: ${(e as Error).message}`);
  }
}
