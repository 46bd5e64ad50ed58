import type { Reporter, TestModule } from 'vitest/node';

/** Ends the run with one `N passed, N failed` line that CI counts. */
export default class CountReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      let failedTests = 0;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') failedTests += 1;
        else skipped += 1;
      }
      // A file can fail with no failed test: it did not load, or a beforeAll
      // (its tests then count as skipped) or an afterAll threw. It still counts.
      failed += module.state() === 'failed' && failedTests === 0 ? 1 : failedTests;
    }
    const tail = skipped > 0 ? `, ${skipped} skipped` : '';
    process.stdout.write(`\n${passed} passed, ${failed} failed${tail}\n`);
  }
}
