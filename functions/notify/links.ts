// Links to the pages (and API routes) in event payloads, under PUBLIC_URL (the deployment's origin).
import type { Bindings } from '../env.ts';

export function linker(env: Pick<Bindings, 'PUBLIC_URL'>) {
  const base = (env.PUBLIC_URL ?? '').replace(/\/+$/, '');
  const q = (o: Record<string, string>) => new URLSearchParams(o).toString();
  const e = encodeURIComponent;
  return {
    scorecard: (region: string, model: string, version: string) => `${base}/scorecards/${e(region)}?${q({ model, version })}`,
    slice: (region: string, sliceId: string) => `${base}/v1/regions/${e(region)}/slices/${e(sliceId)}`,
    compare: (region: string, model: string, from: string, to: string) => `${base}/v1/regions/${e(region)}/compare?${q({ model, from, to })}`,
    intervention: (id: string) => `${base}/scorecards/interventions/${e(id)}`,
  };
}
