// DELETE /v1/interventions/{id} (issue 12, defect 6): admin only, 404 for an unknown id,
// audited (who, when, the record kept whole in GET /v1/interventions/audit), and attribution
// no longer counts the deleted record — its siblings' shared cells are credited in full.
import { describe, it, expect, beforeAll } from 'vitest';
import { api, createKey } from '../helpers.ts';
import { expectError, rows } from '../reference.ts';
import { seedAttributionWorld } from '../attribution-world.ts';

const M = 'del';

describe('deleting an intervention record', () => {
  let ids: Record<'A' | 'B' | 'C', string>;
  beforeAll(async () => { ids = await seedAttributionWorld(M); });

  it('a key (even with intervene and read on every region) is 403; an unknown id is 404; nothing changes', async () => {
    const key = await createKey(['*'], ['read', 'intervene']);
    expectError(await api(`/v1/interventions/${ids.B}`, { method: 'DELETE', token: key }), 403, 'forbidden');
    const e = expectError(await api('/v1/interventions/int_nope', { method: 'DELETE' }), 404, 'not_found');
    expect(e.message).toContain('int_nope');
    expect((await api(`/v1/interventions/${ids.B}`)).status).toBe(200);
    expect((await api('/v1/interventions/audit')).data.entries).toEqual([]);
    expectError(await api('/v1/interventions/audit', { token: key }), 403, 'forbidden');
  });

  it('removes the record, audits it, and the siblings\' shares change accordingly', async () => {
    const cellOf = async (id: string) => (await api(`/v1/interventions/${id}/attribution`)).data.targeted.find((t: any) => t.region === 'BR' && t.signature === 'FUS.SUPPRESS.audio');
    const beforeA = await cellOf(ids.A);
    expect(beforeA.shared_with).toEqual([ids.B]);
    const record = (await api(`/v1/interventions/${ids.B}`)).data;

    const r = await api(`/v1/interventions/${ids.B}`, { method: 'DELETE' });
    expect(r.status).toBe(200);
    expect(r.data).toEqual({ id: ids.B, deleted: true, record });

    expectError(await api(`/v1/interventions/${ids.B}`), 404, 'not_found');
    expect((await api(`/v1/interventions?model=${M}&version=2`)).data.interventions.map((x: any) => x.id)).toEqual([ids.A, ids.C]);
    expect(await rows('SELECT id FROM intervention_records WHERE id = ?', ids.B)).toEqual([]);

    // A held half of BR's recovery with B; now all of it.
    const afterA = await cellOf(ids.A);
    expect(afterA.shared_with).toEqual([]);
    expect(afterA.recovered).toBeCloseTo(2 * beforeA.recovered, 9);
    expect(afterA.recovered).toBeGreaterThan(0);
    const version = (await api(`/v1/models/${M}/versions/2/attribution`)).data;
    expect(version.reports.map((x: any) => x.intervention.id)).toEqual([ids.A, ids.C]);

    const audit = (await api('/v1/interventions/audit')).data.entries;
    expect(audit).toEqual([{ id: expect.any(Number), record_id: ids.B, action: 'delete', actor: 'admin', at: expect.any(String), record }]);
    expect(Math.abs(Date.parse(audit[0].at) - Date.now())).toBeLessThan(60_000);

    // A second delete is 404 and audits nothing more.
    expectError(await api(`/v1/interventions/${ids.B}`, { method: 'DELETE' }), 404, 'not_found');
    expect((await api('/v1/interventions/audit')).data.entries).toHaveLength(1);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await api('/openapi.json', { token: null })).data;
    expect(doc.paths['/v1/interventions/{id}'].delete).toBeDefined();
    expect(doc.paths['/v1/interventions/audit'].get).toBeDefined();
  });
});
