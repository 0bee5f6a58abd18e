export * from './states.js';
export type * from './shapes.js';
export * from './paths.js';
export * from './body-types.js';
export type * from './resource-description.js';
