import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Starts the longest test files first, across all projects that run side by
 * side (vitest's own order takes such projects one after another), so no long
 * file is left running alone at the end: by the duration vitest recorded for
 * each file last time. Files it has no duration for go first, largest first.
 */
export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const { cache, config } = this.ctx;
    const key = (spec: TestSpecification) => `${spec.project.name}:${relative(config.root, spec.moduleId)}`;
    const duration = (spec: TestSpecification) => cache.getFileTestResults(key(spec))?.duration;
    const size = (spec: TestSpecification) => cache.getFileStats(key(spec))?.size ?? 0;
    return [...files].sort((a, b) => {
      const [da, db] = [duration(a), duration(b)];
      return (
        a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder ||
        (da === undefined && db === undefined ? size(b) - size(a) : (db ?? Infinity) - (da ?? Infinity))
      );
    });
  }
}
