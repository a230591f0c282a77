// Public API of the taxonomy: pure data and functions, no I/O.
export * from './types.ts';
export * from './config.ts';
export * from './policies.ts';
export * from './signatures/index.ts';
export * from './diagnose.ts';
export * from './live.ts';
// stats / interventions / ranking / consensus re-exports go here (other owner).
