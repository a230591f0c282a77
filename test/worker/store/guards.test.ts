// store/guards.ts: each guard aborts a D1 batch with an error that names it, abortOf tells them
// apart, and withRetry retries only a concurrent rewrite ('stale-item').
import { describe, expect, it } from 'vitest';
import { env } from 'cloudflare:workers';
import { abortOf, guardSql, raiseSql, withRetry, type GuardName } from '../../../functions/store/guards.ts';

const GUARDS: GuardName[] = ['stale-item', 'lost-claim', 'stage-conflict', 'job-done'];

async function failure(stmts: D1PreparedStatement[]): Promise<unknown> {
  try {
    await env.DB.batch(stmts);
  } catch (e) {
    return e;
  }
  throw new Error('the batch did not abort');
}

describe('guards', () => {
  it.each(GUARDS)('%s: a failed guard aborts the whole batch, and abortOf names it', async (name) => {
    await env.DB.exec('CREATE TABLE IF NOT EXISTS guard_probe (n INTEGER)');
    await env.DB.exec('DELETE FROM guard_probe');
    const e = await failure([env.DB.prepare('INSERT INTO guard_probe (n) VALUES (1)'), env.DB.prepare(guardSql('1 = 0', name))]);
    expect(abortOf(e)).toBe(name);
    // Nothing of the batch was applied.
    expect((await env.DB.prepare('SELECT COUNT(*) AS n FROM guard_probe').first<{ n: number }>())!.n).toBe(0);
  });

  it('a guard that holds lets the batch through', async () => {
    const [r] = await env.DB.batch([env.DB.prepare(guardSql('1 = 1', 'job-done'))]);
    expect(r.success).toBe(true);
  });

  it('raiseSql raises inside a value, where a guard statement cannot go', async () => {
    const e = await failure([env.DB.prepare(`SELECT CASE WHEN 1 = 0 THEN 1 ELSE ${raiseSql('stale-item')} END AS v`)]);
    expect(abortOf(e)).toBe('stale-item');
  });

  it('key aborts: a ledger row inserted twice', async () => {
    const ins = () => env.DB.prepare(`INSERT INTO webhook_deliveries (vendor, delivery_id, received_at, events, applied, parked) VALUES ('g', 'd', '2026-01-01', 0, 0, 0)`);
    await env.DB.batch([ins()]);
    expect(abortOf(await failure([ins()]))).toBe('duplicate-delivery');
  });

  it('other errors are no abort', async () => {
    expect(abortOf(await failure([env.DB.prepare('SELECT * FROM no_such_table')]))).toBeNull();
    expect(abortOf(new Error('malformed JSON'))).toBeNull();
  });
});

describe('withRetry', () => {
  const staleOnce = async () => failure([env.DB.prepare(guardSql('1 = 0', 'stale-item'))]);

  it('retries a stale-item abort and returns the attempt that succeeds', async () => {
    const stale = await staleOnce();
    let calls = 0;
    const r = await withRetry(async (n) => { calls++; if (n < 3) throw stale; return `ok ${n}`; }, { pause: false });
    expect(r).toBe('ok 3');
    expect(calls).toBe(3);
  });

  it('does not retry another abort (a job already done is not a concurrent update)', async () => {
    const done = await failure([env.DB.prepare(guardSql('1 = 0', 'job-done'))]);
    let calls = 0;
    await expect(withRetry(async () => { calls++; throw done; })).rejects.toBe(done);
    expect(calls).toBe(1);
  });

  it('stops after `attempts` and hands the last abort to `exhausted`', async () => {
    const stale = await staleOnce();
    let calls = 0;
    const err = await withRetry(async () => { calls++; throw stale; }, { attempts: 4, pause: false, exhausted: (_e, n) => new Error(`gave up after ${n}`) })
      .catch((e: Error) => e);
    expect(calls).toBe(4);
    expect((err as Error).message).toBe('gave up after 4');
  });
});
