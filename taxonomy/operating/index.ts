// Operating points (SPEC §12): rates of the confusion matrix, the cheapest threshold, time to detect.
export { operatingPoint, type Confusion, type OperatingPoint, type OperatingRate } from './points.ts';
export { scoreBin, costCurve, recommendThreshold, type ScoreHistograms, type ThresholdInput, type ThresholdRecommendation } from './threshold.ts';
export { timeToDetect, timeToDetectBucketed, delayBucket, delayBucketsNeeded, DELAY_BUCKET_MS, type TimeToDetect } from './detect.ts';
export { OPERATING } from './config.ts';
