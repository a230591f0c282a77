// jstat ships no type declarations; this declares only the parts the taxonomy uses.
declare module 'jstat' {
  interface JStat {
    normal: {
      cdf(x: number, mean: number, std: number): number;
      inv(p: number, mean: number, std: number): number;
    };
    /** ln C(n, m), via log-gamma: usable far beyond n = 170, where C(n, m) overflows. */
    combinationln(n: number, m: number): number;
    gammaln(x: number): number;
  }
  const jStat: JStat;
  export default jStat;
}
