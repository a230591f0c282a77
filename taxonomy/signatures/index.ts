// Item-level failure signatures: registry, facts and the rule entries.
export * from './types.ts';
export * from './registry.ts';
export { itemFacts, pickModality, onlyProbe, withoutProbe, type ItemFacts } from './facts.ts';
export { MARGIN_EPSILON } from './threshold.ts';
