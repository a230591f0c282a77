// Public API of the taxonomy: pure data and functions, no I/O.
export * from './types.ts';
export * from './config.ts';
export * from './policies.ts';
export * from './signatures/index.ts';
export * from './diagnose.ts';
export * from './live.ts';
export * from './slice-signatures.ts';
export * from './interventions.ts';
export * from './mappings.ts';
export * from './ranking.ts';
export * from './labels.ts';
export * from './consensus.ts';
export * from './stats/index.ts';
