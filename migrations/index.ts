import { Foundation1764300000000 } from './1764300000000-Foundation.js';

/**
 * Every migration, oldest first. Listed explicitly rather than globbed so the
 * same list runs from compiled JS and from TypeScript under the test runner.
 */
export const migrations = [Foundation1764300000000];
