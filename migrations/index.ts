import { Foundation1764300000000 } from './1764300000000-Foundation.js';
import { Templates1764300300000 } from './1764300300000-Templates.js';
import { Segments1764300400000 } from './1764300400000-Segments.js';

/**
 * Every migration, oldest first. Listed explicitly rather than globbed so the
 * same list runs from compiled JS and from TypeScript under the test runner.
 */
export const migrations = [Foundation1764300000000, Templates1764300300000, Segments1764300400000];
