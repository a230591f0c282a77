// Label events that arrived while their slice was still processing were parked after the
// ingest had read the parked events (it reads them once, at its start). Once the slice is
// committed they can be applied like any delivery: right after the commit, for that slice (the
// entry points hand this to ingest as its `onPublished`). Best effort — the commit stands
// either way, and the cron applies whatever is left.
import { drainStranded } from './consensus.ts';
import type { ItemStore } from '../store/items/editor.ts';

export async function applyStrandedLabels(store: ItemStore, { region, sliceId }: { region: string; sliceId: string }): Promise<void> {
  try {
    await drainStranded(store, { region, slice_id: sliceId });
  } catch (e) {
    console.error(`slice ${region}/${sliceId}: parked labels not applied yet (the cron retries): ${(e as Error).message}`);
  }
}
