// Precision, recall, FPR and FNR of a confusion matrix (SPEC §12), each a Wilson rate.
import { wilson, type Rate } from '../stats/wilson.ts';
import { CONFIG } from '../config.ts';

export interface Confusion { tp: number; fp: number; tn: number; fn: number }
export type OperatingRate = (Rate & { too_few: boolean }) | null;
export interface OperatingPoint extends Confusion {
  precision: OperatingRate; recall: OperatingRate; fpr: OperatingRate; fnr: OperatingRate;
}

/** k / n with its interval; null when nothing was in the denominator. */
function rate(k: number, n: number): OperatingRate {
  return n === 0 ? null : { ...wilson(k, n), too_few: n < CONFIG.minCellItems };
}

export function operatingPoint(c: Confusion): OperatingPoint {
  return {
    ...c,
    precision: rate(c.tp, c.tp + c.fp),
    recall: rate(c.tp, c.tp + c.fn),
    fpr: rate(c.fp, c.fp + c.tn),
    fnr: rate(c.fn, c.tp + c.fn),
  };
}
