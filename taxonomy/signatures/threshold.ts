// Threshold / calibration: the score landed within a margin of the threshold.
import { CONFIG } from '../config.ts';
import type { ItemSignatureDef } from './types.ts';

/**
 * Float slack for the margin test: 0.8 − 0.7 is 0.10000000000000009 (and 0.6 − 0.5 is
 * 0.09999999999999998); a score written as exactly T ± margin must count as within it.
 * Far below any meaningful score difference.
 */
export const MARGIN_EPSILON = 1e-9;

const round12 = (x: number): number => Math.round(x * 1e12) / 1e12;

export const THR_MARGIN: ItemSignatureDef = {
  family: 'THR.MARGIN',
  level: 'item',
  description: 'a boundary error: threshold/calibration',
  rule: `abs(s − T) <= ${CONFIG.thresholdMargin.toFixed(2)}`,
  appliesTo: ['FP', 'FN'],
  detect(facts) {
    const distance = Math.abs((facts.score as number) - facts.threshold);
    if (distance > CONFIG.thresholdMargin + MARGIN_EPSILON) return null;
    return {
      code: 'THR.MARGIN',
      evidence: { score: facts.score, threshold: facts.threshold, distance: round12(distance), margin: CONFIG.thresholdMargin },
    };
  },
};
