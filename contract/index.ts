export * from './duration.js';
export * from './observation.js';
export * from './entity.js';
export * from './rule.js';
export * from './alert.js';
export * from './topics.js';
export * from './live-events.js';
export * from './api.js';
