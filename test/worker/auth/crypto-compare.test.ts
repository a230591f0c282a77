// timingSafeEqualStr (issue 12, defect 3): the admin token comparison must not leak the
// token's length — both sides are compared as fixed-length digests, whatever their lengths.
import { describe, it, expect, vi, afterEach } from 'vitest';
import { timingSafeEqualStr } from '../../../functions/lib/crypto.ts';

type Subtle = SubtleCrypto & { timingSafeEqual: (a: ArrayBufferView, b: ArrayBufferView) => boolean };

describe('timingSafeEqualStr', () => {
  afterEach(() => vi.restoreAllMocks());

  it('equal strings are equal (ASCII, non-ASCII, empty)', () => {
    for (const s of ['test-admin-token', 'clé-ß-🔑', '']) expect(timingSafeEqualStr(s, s)).toBe(true);
  });

  it('different strings of the same length differ', () => {
    expect(timingSafeEqualStr('test-admin-token', 'test-admin-tokeN')).toBe(false);
    expect(timingSafeEqualStr('a', 'b')).toBe(false);
  });

  it('strings of different lengths differ, a prefix of the secret included', () => {
    expect(timingSafeEqualStr('test-admin-token', 'test-admin-token-x')).toBe(false);
    expect(timingSafeEqualStr('test-admin', 'test-admin-token')).toBe(false);
    expect(timingSafeEqualStr('', 'x')).toBe(false);
  });

  it('always compares two fixed-length values in constant time, whatever the lengths (no early exit)', () => {
    const spy = vi.spyOn(crypto.subtle as Subtle, 'timingSafeEqual');
    const pairs: Array<[string, string]> = [['short', 'a-much-longer-secret-token'], ['x', 'x'], ['', 'abc'], ['a'.repeat(1000), 'b']];
    for (const [a, b] of pairs) timingSafeEqualStr(a, b);
    expect(spy).toHaveBeenCalledTimes(pairs.length);
    const lengths = spy.mock.calls.flatMap(([x, y]) => [x.byteLength, y.byteLength]);
    expect(new Set(lengths).size).toBe(1);
  });
});
