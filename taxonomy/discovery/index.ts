// Slice discovery (SPEC §11): features of an item, additive counts, and the search over them.
export { FEATURES, SCORE_BANDS, ATTR_PREFIX, ITEM_ATTR_KEYS, ATTR_VALUE_CHARS, featuresOf, scoreBand, type FeatureDef } from './features.ts';
export { emptyCounts, cellAt, tally, mergeCounts, pooledCounts, errorsOf, sliceKey, predicatesOf, type Cell, type DiscoveryCounts, type Predicate } from './counts.ts';
export { discover, type DiscoveryOptions, type DiscoveredSlice, type DiscoveryResult, type IgnoredFeature } from './search.ts';
export { DISCOVERY } from './config.ts';
