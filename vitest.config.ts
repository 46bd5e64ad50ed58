import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const lib = (name: string) => fileURLToPath(new URL(`./libs/${name}/src/index.ts`, import.meta.url));

export default defineConfig({
  // SWC keeps emitDecoratorMetadata, which Nest's dependency injection needs.
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: {
    alias: Object.fromEntries(
      ['common', 'auth', 'contacts', 'segments', 'templates', 'delivery', 'campaigns', 'processors'].map((name) => [
        `@herald/${name}`,
        lib(name),
      ]),
    ),
  },
  test: {
    include: ['{apps,libs,test}/**/*.{spec,e2e}.ts'],
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/count-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
