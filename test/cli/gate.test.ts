// `avlm-diag gate` as a model team's CI step, against the Worker over HTTP: exit 1 when the gate
// fails (the failing regions and cells printed), 0 when it passes, 2 on usage or HTTP errors —
// and `keys list` (no secrets shown).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, apiJson, type RunningWorker } from '../pages/worker.ts';
import { runCli, startWorker } from './worker.ts';

const M = 'gate-cli';
let w: RunningWorker;

const tn = (id: string) => ({ item_id: id, surface: 'vod', language: 'pt-BR', policy: 'hate.slur', label: { violating: false }, prediction: { score: 0.1 } });
const sup = (id: string) => ({ ...tn(id), label: { violating: true, evidence: ['audio'] }, probes: { audio_only: 0.9 } });
const slice = (k: number, n: number) => [...Array.from({ length: k }, (_, i) => sup(`s${i}`)), ...Array.from({ length: n - k }, (_, i) => tn(`t${i}`))];

beforeAll(async () => {
  w = await startWorker('cli-gate', {});
  // v1 → v2: BR's suppression rises 5 → 40 of 200 (fails), MX stays (passes). v3 fixes BR.
  const plan: Array<[string, string, number]> = [['BR', '1', 5], ['MX', '1', 10], ['BR', '2', 40], ['MX', '2', 10], ['BR', '3', 5], ['MX', '3', 10]];
  for (const [region, version, k] of plan) {
    const r = await apiJson(w.url, `/v1/regions/${region}/slices`, { method: 'POST', body: { slice_id: `${M}-${region}-${version}`, model: { id: M, version, stage: 'sft' }, items: slice(k, 200) } });
    expect(r.status, JSON.stringify(r.data)).toBe(201);
  }
}, 120_000);

afterAll(async () => { await w?.close(); });

const env = () => ({ AVLM_URL: w.url, AVLM_KEY: ADMIN });

describe('avlm-diag gate', () => {
  it('exits 1 on a failing gate and prints the failing regions and cells', async () => {
    const r = await runCli(['gate', '--model', M, '--version', '2'], env());
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^gate ${M} 2 against 1: FAIL — 1 fail, 1 pass, 0 no data`));
    expect(lines[1]).toMatch(/^ {2}BR: fail \(n 200 → 200\)$/);
    // Both cells of BR's hate.slur regressed: the failure rate and the suppression signature.
    expect(lines.slice(2).map((l) => l.trim().split(/\s+/).slice(0, 2).join(' '))).toEqual(['hate.slur *', 'hate.slur FUS.SUPPRESS.audio']);
    expect(lines[2]).toMatch(/ 2\.5 % → +20\.0 % +q=/);
    expect(r.stdout).not.toMatch(/MX/);
  });

  it('--json prints the API answer and keeps the exit code', async () => {
    const r = await runCli(['gate', '--model', M, '--version', '2', '--json'], env());
    expect(r.code).toBe(1);
    const api = (await apiJson(w.url, `/v1/models/${M}/versions/2/gate`)).data;
    expect(JSON.parse(r.stdout)).toEqual(api);
    expect(api.pass).toBe(false);
  });

  it('exits 0 when the gate passes (the predecessor by default, or --baseline)', async () => {
    const r = await runCli(['gate', '--model', M, '--version', '3'], env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^gate ${M} 3 against 2: PASS — 0 fail, 2 pass`));
    const b = await runCli(['gate', '--model', M, '--version', '3', '--baseline', '1', '--json'], env());
    expect(b.code, b.stderr).toBe(0);
    expect(JSON.parse(b.stdout)).toMatchObject({ baseline: '1', pass: true });
  });

  it('exits 2 on usage errors and HTTP errors, never 1', async () => {
    const noVersion = await runCli(['gate', '--model', M], env());
    expect(noVersion.code).toBe(2);
    expect(noVersion.stderr).toMatch(/--version is required/);
    const unknown = await runCli(['gate', '--model', M, '--version', '9'], env());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/avlm-diag: 404 not_found: version: .*'9'/);
    const badKey = await runCli(['gate', '--model', M, '--version', '2'], { ...env(), AVLM_KEY: 'wrong' });
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toMatch(/401/);
    const down = await runCli(['gate', '--model', M, '--version', '2', '--retries', '0'], { ...env(), AVLM_URL: 'http://127.0.0.1:9' });
    expect(down.code).toBe(2);
  });
});

describe('avlm-diag keys list', () => {
  it('lists the keys without their secrets; --all adds revoked ones', async () => {
    const made = await runCli(['keys', 'create', '--regions', 'BR', '--scopes', 'read', '--json'], env());
    const key = JSON.parse(made.stdout);
    const gone = JSON.parse((await runCli(['keys', 'create', '--regions', 'MX', '--scopes', 'submit', '--json'], env())).stdout);
    expect((await runCli(['keys', 'revoke', gone.id], env())).code).toBe(0);
    const r = await runCli(['keys', 'list'], env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${key.id} +BR +read +created `, 'm'));
    expect(r.stdout).not.toContain(gone.id);
    expect(r.stdout).not.toContain(key.key);
    const all = await runCli(['keys', 'list', '--all', '--json'], env());
    const listed = JSON.parse(all.stdout).keys;
    expect(listed.map((k: any) => k.id)).toEqual(expect.arrayContaining([key.id, gone.id]));
    expect(listed.find((k: any) => k.id === gone.id).revoked_at).not.toBeNull();
    expect(all.stdout).not.toContain(key.key);
  });
});
