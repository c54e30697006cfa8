export * from './engine-suite.js';
export * from './store-suite.js';
