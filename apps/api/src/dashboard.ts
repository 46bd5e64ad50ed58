import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';

/** Paths the dashboard never answers: the API, its docs, recipient routes and operations. */
const NOT_DASHBOARD = /^\/(?:api|t|u|w|subscribe|health|metrics)(?:\/|$)/;

/**
 * What the dashboard may load: its own scripts only; images from anywhere
 * (template previews show the email's own images, in a sandboxed frame
 * that runs no script); never framed by another site.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: https:",
  "font-src 'self' data: https:",
  "frame-src 'self' blob:",
  "frame-ancestors 'none'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

/** The built dashboard (`npm run build`): `dist/dashboard` at the repository root, from source or compiled code alike. */
export function dashboardDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'dashboard');
}

/**
 * Serves the dashboard at `/`: hashed assets cached for a year, and
 * `index.html` for every other browser path, so a screen's address can be
 * opened directly. Without a build, `/` says how to make one.
 */
export function serveDashboard(app: NestExpressApplication, dir = dashboardDir()): void {
  const index = join(dir, 'index.html');
  app.useStaticAssets(join(dir, 'assets'), { prefix: '/assets/', index: false, immutable: true, maxAge: '365d' });
  app.use((req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || NOT_DASHBOARD.test(req.path)) return next();
    res.set({
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'same-origin',
      'Cache-Control': 'no-cache',
    });
    if (!existsSync(index)) {
      res
        .status(503)
        .type('text/plain')
        .send('The dashboard is not built yet: run `npm run build` (npm start does it), then reload.');
      return;
    }
    res.sendFile(index);
  });
}
