// The statistics behind every number in SPEC §9, pure and dependency-light.
export { wilson, type Rate } from './wilson.ts';
export { newcombeDiff } from './newcombe.ts';
export { twoProportionZ, oneSidedGreaterZ, type ZTest } from './ztest.ts';
export { benjaminiHochberg } from './bh.ts';
export {
  BIN_COUNT, binIndex, binScores, emptyBins, ece,
  type BinAggregate, type ReliabilityBin, type EceResult,
} from './ece.ts';
export { psi } from './psi.ts';
export { binomialPmf, binomialTest } from './binomial.ts';
