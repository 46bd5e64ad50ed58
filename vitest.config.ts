import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';
import { LongestFirst } from './test/sequencer.js';

const lib = (name: string) => fileURLToPath(new URL(`./libs/${name}/src/index.ts`, import.meta.url));

/**
 * Tests that measure a rate at a receiving server, in sliding seconds. Run
 * beside other test files on a two-core machine, their processes get the CPU
 * late and a window misses a message it was owed; so they run alone, one
 * file at a time, once every other file has finished.
 */
const TIMED = ['test/e2e/campaigns-rate.e2e.ts', 'libs/delivery/src/throttle/throttle.spec.ts'];

const BROWSER = 'test/browser/**/*.e2e.ts';

/**
 * Test files share their worker processes (`isolate: false`): importing the
 * Nest app graph once per worker rather than once per file is most of what
 * isolation cost. Only process-wide state leaks from file to file, and the
 * one that matters is logging: the first app a process creates builds the
 * pino logger every later app writes through (libs/common/src/core.module.ts).
 * So a file that reads log lines (`logDestination`), sets `LOG_LEVEL`, or
 * spies on the process's Logger or console runs in a process of its own.
 * startTestApp refuses `logDestination` and `LOG_LEVEL` in a shared process.
 */
const OWN_PROCESS = [
  'test/e2e/logging.e2e.ts',
  'test/e2e/outages.e2e.ts',
  'test/e2e/senders.e2e.ts',
  'test/e2e/tracking-outage.e2e.ts',
  'test/e2e/tracking.e2e.ts',
  'test/e2e/unsubscribe.e2e.ts',
  'test/dashboard-types.spec.ts',
];

/**
 * Most files wait on Postgres, Redis, SMTP and timers more than on the CPU,
 * so on two cores four at a time finish sooner than the default of one.
 * Chromium, though, wants a core of its own: browser files run two at a time,
 * after the rest.
 */
const WORKERS = 4;
const BROWSER_WORKERS = 2;

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
    sequence: { sequencer: LongestFirst },
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/count-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'herald',
          include: ['{apps,libs,test}/**/*.{spec,e2e}.ts'],
          exclude: [...TIMED, BROWSER, ...OWN_PROCESS],
          isolate: false,
          maxWorkers: WORKERS,
          env: { HERALD_TEST_SHARED_PROCESS: 'true' },
        },
      },
      { extends: true, test: { name: 'herald-isolated', include: OWN_PROCESS, maxWorkers: WORKERS } },
      // The dashboard in Chromium: `npm test -- --project '!browser'` leaves it out.
      {
        extends: true,
        test: {
          name: 'browser',
          include: [BROWSER],
          isolate: false,
          maxWorkers: BROWSER_WORKERS,
          env: { HERALD_TEST_SHARED_PROCESS: 'true' },
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: { name: 'timed', include: TIMED, fileParallelism: false, sequence: { groupOrder: 2 } },
      },
    ],
  },
});
