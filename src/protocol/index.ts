export * from './states.js';
export type * from './shapes.js';
export * from './paths.js';
export type * from './resource-description.js';
