// Concurrent submissions while the backend's feature dims are being looked up: each request must
// use only its own I/O. A lookup promise shared between requests made workerd refuse the other
// requests' body reads ("Cannot perform I/O on behalf of a different request" → 500), seen in
// the notify bench as 5 of 1,000 concurrent submissions against a closed backend port. In the
// test pool the lookup is too quick to show it (this passes on the old code too): a guard, not a
// reproduction.
import { describe, it, expect } from 'vitest';
import { forgetFeatureDims } from '../../../functions/lib/feature-dims.ts';
import { getSlice } from '../../../functions/store/slices.ts';
import { env } from 'cloudflare:workers';
import { item, submit } from '../helpers.ts';

const MODEL = { id: 'dims-race', version: '1', stage: 'sft' };

describe('feature dims lookup under concurrent submissions', () => {
  it('every one of 24 concurrent submissions made while the dims are unknown is stored (no 500)', async () => {
    forgetFeatureDims();
    const n = 24;
    const answers = await Promise.all(Array.from({ length: n }, (_, k) =>
      submit('PE', { slice_id: `race-${k}`, model: MODEL, items: [item(`r${k}a`), item(`r${k}b`)] })));
    expect(answers.map((r) => r.status)).toEqual(Array(n).fill(201));
    for (let k = 0; k < n; k++) expect((await getSlice(env.DB, 'PE', `race-${k}`))?.items).toBe(2);
  });
});
