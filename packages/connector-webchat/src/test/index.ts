export { TestVisitor } from './webchat-test-visitor.js';
