// The protocol room's front door: client and server import the API's states, shapes and paths from here.
export * from './states.js';
export type * from './shapes.js';
export * from './paths.js';
export * from './body-types.js';
export * from './run-header.js';
export type * from './resource-description.js';
export type * from './run-shapes.js';
export * from './store-trouble.js';
