import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const lib = (name: string) => fileURLToPath(new URL(`./libs/${name}/src/index.ts`, import.meta.url));

/**
 * Tests that measure a rate at a receiving server, in sliding seconds. Run
 * beside other test files on a two-core machine, their processes get the CPU
 * late and a window misses a message it was owed; so they run alone, one
 * file at a time, once every other file has finished.
 */
const TIMED = ['test/e2e/campaigns-rate.e2e.ts', 'libs/delivery/src/throttle/throttle.spec.ts'];

const BROWSER = 'test/browser/**/*.e2e.ts';

export default defineConfig({
  // SWC keeps emitDecoratorMetadata, which Nest's dependency injection needs.
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: {
    alias: Object.fromEntries(
      [
        'common',
        'auth',
        'contacts',
        'segments',
        'templates',
        'delivery',
        'tracking',
        'campaigns',
        'signups',
        'relay',
        'webhooks',
        'inbound',
        'processors',
      ].map((name) => [`@herald/${name}`, lib(name)]),
    ),
  },
  test: {
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/count-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'herald', include: ['{apps,libs,test}/**/*.{spec,e2e}.ts'], exclude: [...TIMED, BROWSER] },
      },
      // The dashboard in Chromium: `npm test -- --project herald --project timed` leaves it out.
      { extends: true, test: { name: 'browser', include: [BROWSER] } },
      {
        extends: true,
        test: { name: 'timed', include: TIMED, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
